package dev.featurestore.serving.features;

import dev.featurestore.serving.EventLoops;
import dev.featurestore.serving.ServingProperties;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.stereotype.Component;

/**
 * The API's port ({@code featurestore.http.port}): HTTP/1.1 on the {@link EventLoops}, each
 * connection answered by its own {@link FeatureRequests}. The port it bound is published as {@code
 * local.featurestore.http.port} (for tests that ask for port 0).
 */
@Component
class FeatureServer implements SmartLifecycle {

  private static final Logger LOG = LoggerFactory.getLogger(FeatureServer.class);
  static final String LOCAL_PORT = "local.featurestore.http.port";

  private final EventLoops loops;
  private final FeatureService service;
  private final ServingProperties.Http settings;
  private final ConfigurableEnvironment environment;
  private volatile Channel listening;

  FeatureServer(
      EventLoops loops,
      FeatureService service,
      ServingProperties properties,
      ConfigurableEnvironment environment) {
    this.loops = loops;
    this.service = service;
    this.settings = properties.http();
    this.environment = environment;
  }

  @Override
  public void start() {
    int maxHeaderSize = (int) settings.maxHeaderSize().toBytes();
    long idleMillis = settings.idleTimeout().toMillis();
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(loops.group())
            .channel(loops.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 4096)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    channel
                        .pipeline()
                        // reads only: an idle keep-alive connection sends nothing (watching writes
                        // would cost
                        // a promise per answer)
                        .addLast(new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS))
                        .addLast(
                            new HttpServerCodec(
                                new HttpDecoderConfig()
                                    .setMaxInitialLineLength(maxHeaderSize)
                                    .setMaxHeaderSize(maxHeaderSize)
                                    .setMaxChunkSize(16 * 1024)))
                        .addLast(new HttpServerExpectContinueHandler())
                        .addLast(new FeatureRequests(service));
                  }
                });
    listening =
        bootstrap
            .bind(new InetSocketAddress(settings.address(), settings.port()))
            .syncUninterruptibly()
            .channel();
    int port = ((InetSocketAddress) listening.localAddress()).getPort();
    environment
        .getPropertySources()
        .addFirst(new MapPropertySource("featurestore.http", Map.of(LOCAL_PORT, port)));
    LOG.info("Serving the API on {}:{}", settings.address(), port);
  }

  @Override
  public void stop() {
    Channel channel = listening;
    if (channel != null) {
      channel.close().syncUninterruptibly();
      listening = null;
    }
  }

  @Override
  public boolean isRunning() {
    return listening != null;
  }
}
