package dev.featurestore.serving;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The threads that serve the API: one event loop per core runs both the HTTP connections and the
 * memcached connections of the lookups they make, so a lookup never changes threads between the
 * request and its answer. Native epoll on Linux (from Maven Central's netty jar), NIO elsewhere.
 */
public final class EventLoops implements AutoCloseable {

  private final EventLoopGroup group;
  private final boolean epoll;

  public EventLoops(int threads) {
    this.epoll = Epoll.isAvailable();
    DefaultThreadFactory threadFactory = new DefaultThreadFactory("serving-loop", true);
    this.group =
        new MultiThreadIoEventLoopGroup(
            threads,
            threadFactory,
            epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
  }

  public EventLoopGroup group() {
    return group;
  }

  public Class<? extends ServerSocketChannel> serverChannel() {
    return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  public Class<? extends SocketChannel> channel() {
    return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }
}
