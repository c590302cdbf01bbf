package dev.featurestore.serving.features;

import dev.featurestore.serving.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * memcached's text protocol on the serving event loops: every loop keeps one connection to every
 * server, and a lookup is sent on the connection of the loop that took its HTTP request, so the
 * request, the get and the answer stay on one thread with no hand-off. Gets written during one loop
 * iteration go out in one flush; memcached answers a connection's gets in order, so a FIFO of
 * pending gets pairs each answer with its get.
 *
 * <p>A get waits at most until its {@link Deadline}; its answer, when it comes later, is read and
 * dropped. A server whose connection is down fails its gets at once (and is reconnected in the
 * background, 50 ms to 1 s apart), and at most {@code maxInFlight} gets wait at once: more are
 * refused at once as overloaded, so a stalled memcached cannot pile up work.
 */
// Netty's write, close and schedule futures: a failed write or close reaches the pipeline
// (exceptionCaught, channelInactive), and a timer's outcome is the future it completes
@SuppressWarnings("FutureReturnValueIgnored")
public final class EventLoopMemcached implements OnlineStoreReads, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EventLoopMemcached.class);
  private static final byte[] GET = "get ".getBytes(StandardCharsets.US_ASCII);
  private static final long MIN_RECONNECT_MILLIS = 50;
  private static final long MAX_RECONNECT_MILLIS = 1000;

  /** Longer than any line memcached sends in answer to a get (keys are at most 250 bytes). */
  private static final int MAX_LINE = 1024;

  /** Longer than the longest deadline a request may have (10 s by default). */
  private static final long STALL_SECONDS = 30;

  private final EventLoops loops;
  private final ToIntFunction<String> serverOfKey;
  private final int maxInFlight;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final EventLoop[] loopOf;
  private final Connection[][] connectionsOf;
  private volatile boolean closed;

  /**
   * @param serverOfKey the index in {@code servers} of the server that holds a key: the same
   *     consistent hashing the replicator writes with
   */
  public EventLoopMemcached(
      EventLoops loops,
      List<InetSocketAddress> servers,
      ToIntFunction<String> serverOfKey,
      int maxInFlight) {
    this.loops = loops;
    this.serverOfKey = servers.size() == 1 ? key -> 0 : serverOfKey;
    this.maxInFlight = maxInFlight;
    List<ChannelFuture> connecting = new ArrayList<>();
    List<EventLoop> eventLoops = new ArrayList<>();
    loops.group().forEach(executor -> eventLoops.add((EventLoop) executor));
    this.loopOf = eventLoops.toArray(EventLoop[]::new);
    this.connectionsOf = new Connection[loopOf.length][];
    for (int l = 0; l < loopOf.length; l++) {
      Connection[] connections = new Connection[servers.size()];
      for (int i = 0; i < connections.length; i++) {
        connections[i] = new Connection(loopOf[l], servers.get(i));
        connecting.add(connections[i].connect());
      }
      connectionsOf[l] = connections;
    }
    // the first lookups should not fail only because their connection is still being set up
    for (ChannelFuture connect : connecting) {
      connect.awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
  }

  /**
   * Reads from the servers of {@code client}, each key from the server spymemcached's ketama ring
   * places it on: the ring the replicator writes with (a read-only copy, so lookups share no lock
   * with the client).
   */
  public static EventLoopMemcached onTheRingOf(
      net.spy.memcached.MemcachedClient client, EventLoops loops, int maxInFlight) {
    net.spy.memcached.NodeLocator ring = client.getNodeLocator();
    List<InetSocketAddress> servers =
        ring.getAll().stream().map(node -> (InetSocketAddress) node.getSocketAddress()).toList();
    Map<java.net.SocketAddress, Integer> indexOf = new HashMap<>();
    for (int i = 0; i < servers.size(); i++) {
      indexOf.put(servers.get(i), i);
    }
    return new EventLoopMemcached(
        loops, servers, key -> indexOf.get(ring.getPrimary(key).getSocketAddress()), maxInFlight);
  }

  @Override
  public CompletableFuture<byte[]> get(String key, Deadline deadline) {
    Connection[] connections = connectionsOfThisLoop();
    if (connections == null) {
      return onALoop(() -> get(key, deadline));
    }
    return submit(new SingleGet(key), connections[serverOfKey.applyAsInt(key)], deadline);
  }

  @Override
  public CompletableFuture<Map<String, byte[]>> getAll(Collection<String> keys, Deadline deadline) {
    Connection[] connections = connectionsOfThisLoop();
    if (connections == null) {
      return onALoop(() -> getAll(keys, deadline));
    }
    Map<Integer, List<String>> keysByServer = new HashMap<>();
    for (String key : keys) {
      keysByServer
          .computeIfAbsent(serverOfKey.applyAsInt(key), server -> new ArrayList<>())
          .add(key);
    }
    List<CompletableFuture<Map<String, byte[]>>> shares = new ArrayList<>();
    for (Map.Entry<Integer, List<String>> share : keysByServer.entrySet()) {
      shares.add(submit(new MultiGet(share.getValue()), connections[share.getKey()], deadline));
    }
    if (shares.size() == 1) {
      return shares.get(0);
    }
    return CompletableFuture.allOf(shares.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<String, byte[]> values = new HashMap<>();
              shares.forEach(share -> values.putAll(share.join()));
              return values;
            });
  }

  /** Gets admitted and not yet answered (for tests). */
  int inFlight() {
    return inFlight.get();
  }

  /** Whether {@code server}'s connection on every loop is up (for tests). */
  boolean connected(int server) {
    for (Connection[] connections : connectionsOf) {
      if (connections[server].channel == null) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    closed = true;
    for (Connection[] connections : connectionsOf) {
      for (Connection connection : connections) {
        connection.loop.execute(connection::close);
      }
    }
  }

  /** The connections of the loop running this thread; null outside the loops. */
  private Connection[] connectionsOfThisLoop() {
    for (int l = 0; l < loopOf.length; l++) {
      if (loopOf[l].inEventLoop()) {
        return connectionsOf[l];
      }
    }
    return null;
  }

  /** A caller outside the loops (a test, a background job) has its lookup run on one of them. */
  private <T> CompletableFuture<T> onALoop(java.util.function.Supplier<CompletableFuture<T>> call) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    EventExecutor loop = loops.group().next();
    loop.execute(
        () ->
            call.get()
                .whenComplete(
                    (value, failure) -> {
                      if (failure != null) {
                        answer.completeExceptionally(failure);
                      } else {
                        answer.complete(value);
                      }
                    }));
    return answer;
  }

  /** Sends {@code get} if it is admitted; refused at once (overloaded) if too many wait. */
  private <T> CompletableFuture<T> submit(
      PendingGet<T> get, Connection connection, Deadline deadline) {
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      get.future.completeExceptionally(
          new FeatureLookup.OnlineStoreUnavailableException(
              FeatureLookup.Kind.OVERLOADED, "too many lookups are waiting for memcached; retry"));
      return get.future;
    }
    return connection.send(get, deadline);
  }

  /** A get sent and not yet answered; {@code done} once its future is completed. */
  private abstract class PendingGet<T> {
    final CompletableFuture<T> future = new CompletableFuture<>();
    boolean done;
    long sentNanos;
    ScheduledFuture<?> timeout;

    abstract void write(ByteBuf out);

    abstract int size();

    abstract String firstKey();

    abstract void value(String key, byte[] data);

    abstract boolean needsKeys();

    abstract T result();

    final void answered() {
      if (!done) {
        finish();
        future.complete(result());
      }
    }

    final void fail(FeatureLookup.OnlineStoreUnavailableException failure) {
      if (!done) {
        finish();
        future.completeExceptionally(failure);
      }
    }

    private void finish() {
      done = true;
      if (timeout != null) {
        timeout.cancel(false);
      }
      // only admitted gets get here: a refused one's future is completed at once
      inFlight.decrementAndGet();
    }
  }

  private final class SingleGet extends PendingGet<byte[]> {
    private final String key;
    private byte[] value;

    SingleGet(String key) {
      this.key = key;
    }

    @Override
    void write(ByteBuf out) {
      out.writeCharSequence(key, StandardCharsets.US_ASCII);
    }

    @Override
    int size() {
      return key.length();
    }

    @Override
    String firstKey() {
      return key;
    }

    @Override
    void value(String key, byte[] data) {
      value = data;
    }

    @Override
    boolean needsKeys() {
      return false;
    }

    @Override
    byte[] result() {
      return value;
    }
  }

  private final class MultiGet extends PendingGet<Map<String, byte[]>> {
    private final List<String> keys;
    private final Map<String, byte[]> values = new HashMap<>();

    MultiGet(List<String> keys) {
      this.keys = keys;
    }

    @Override
    void write(ByteBuf out) {
      for (int i = 0; i < keys.size(); i++) {
        if (i > 0) {
          out.writeByte(' ');
        }
        out.writeCharSequence(keys.get(i), StandardCharsets.US_ASCII);
      }
    }

    @Override
    String firstKey() {
      return keys.get(0);
    }

    @Override
    int size() {
      int size = keys.size();
      for (String key : keys) {
        size += key.length();
      }
      return size;
    }

    @Override
    void value(String key, byte[] data) {
      values.put(key, data);
    }

    @Override
    boolean needsKeys() {
      return true;
    }

    @Override
    Map<String, byte[]> result() {
      return values;
    }
  }

  /** One loop's connection to one server; touched only by that loop's thread. */
  private final class Connection {
    final EventLoop loop;
    final InetSocketAddress server;
    final ArrayDeque<PendingGet<?>> pending = new ArrayDeque<>();
    final Runnable flush = this::flush;
    Channel channel;
    boolean flushScheduled;
    long reconnectMillis = MIN_RECONNECT_MILLIS;

    Connection(EventLoop loop, InetSocketAddress server) {
      this.loop = loop;
      this.server = server;
    }

    ChannelFuture connect() {
      return new Bootstrap()
          .group(loop)
          .channel(loops.channel())
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 1000)
          .handler(new AnswerDecoder(this))
          .connect(server)
          .addListener(
              (ChannelFuture connected) -> {
                if (connected.isSuccess()) {
                  channel = connected.channel();
                  reconnectMillis = MIN_RECONNECT_MILLIS;
                  LOG.debug("Connected to memcached {}", server);
                } else {
                  reconnectLater();
                }
              });
    }

    <T> CompletableFuture<T> send(PendingGet<T> get, Deadline deadline) {
      if (channel == null) {
        get.fail(
            new FeatureLookup.OnlineStoreUnavailableException(
                FeatureLookup.Kind.UNAVAILABLE,
                "the memcached server " + address() + " is unreachable",
                get.firstKey()));
        return get.future;
      }
      ByteBuf command = channel.alloc().buffer(GET.length + get.size() + 2);
      command.writeBytes(GET);
      get.write(command);
      command.writeByte('\r').writeByte('\n');
      get.sentNanos = System.nanoTime();
      pending.add(get);
      channel.write(command, channel.voidPromise());
      if (!flushScheduled) {
        // after the other requests this loop iteration reads: their gets leave in the same write
        flushScheduled = true;
        loop.execute(flush);
      }
      get.timeout =
          loop.schedule(
              () -> {
                get.fail(
                    new FeatureLookup.OnlineStoreUnavailableException(
                        FeatureLookup.Kind.DEADLINE_EXCEEDED,
                        "memcached did not answer within the request's deadline of "
                            + deadline.budget().toMillis()
                            + " ms"));
                closeIfStalled();
              },
              deadline.remainingNanos(),
              TimeUnit.NANOSECONDS);
      return get.future;
    }

    /**
     * A server that has not answered its oldest get for {@value #STALL_SECONDS} s, long after every
     * deadline, is given up on: closing the connection drops the gets it still holds (their
     * requests have long had their 503), so a frozen server cannot make them pile up forever.
     */
    private void closeIfStalled() {
      PendingGet<?> oldest = pending.peek();
      if (channel != null
          && oldest != null
          && oldest.done
          && System.nanoTime() - oldest.sentNanos > TimeUnit.SECONDS.toNanos(STALL_SECONDS)) {
        LOG.warn("memcached {} has not answered for {} s: reconnecting", server, STALL_SECONDS);
        channel.close();
      }
    }

    private void flush() {
      flushScheduled = false;
      if (channel != null) {
        channel.flush();
      }
    }

    void lost(Channel lostChannel, String why) {
      if (channel != lostChannel) {
        return;
      }
      channel = null;
      FeatureLookup.OnlineStoreUnavailableException failure =
          new FeatureLookup.OnlineStoreUnavailableException(
              FeatureLookup.Kind.UNAVAILABLE, "the memcached server " + address() + " " + why);
      for (PendingGet<?> get = pending.poll(); get != null; get = pending.poll()) {
        get.fail(failure);
      }
      if (!closed) {
        LOG.warn("Lost memcached {}: {}", server, why);
        reconnectLater();
      }
    }

    private void reconnectLater() {
      if (closed) {
        return;
      }
      long delay = reconnectMillis;
      reconnectMillis = Math.min(MAX_RECONNECT_MILLIS, reconnectMillis * 2);
      loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    void close() {
      if (channel != null) {
        channel.close();
      }
    }

    private String address() {
      return server.getHostString() + ":" + server.getPort();
    }
  }

  /**
   * Reads memcached's answers: {@code VALUE <key> <flags> <bytes>} lines, each followed by its
   * data, then {@code END} for each get; any other line fails the get it answers.
   */
  private static final class AnswerDecoder extends ByteToMessageDecoder {
    private final Connection connection;
    private int valueBytes = -1;
    private String valueKey;

    AnswerDecoder(Connection connection) {
      this.connection = connection;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      while (true) {
        if (valueBytes >= 0) {
          if (in.readableBytes() < valueBytes + 2) {
            return;
          }
          byte[] data = new byte[valueBytes];
          in.readBytes(data);
          in.skipBytes(2);
          PendingGet<?> get = connection.pending.peek();
          get.value(valueKey, data);
          valueKey = null;
          valueBytes = -1;
          continue;
        }
        int start = in.readerIndex();
        int newline = in.indexOf(start, in.writerIndex(), (byte) '\n');
        if (newline < 0) {
          if (in.readableBytes() > MAX_LINE) {
            throw new IllegalStateException("memcached sent a line longer than " + MAX_LINE);
          }
          return;
        }
        int end = newline > start && in.getByte(newline - 1) == '\r' ? newline - 1 : newline;
        PendingGet<?> get = connection.pending.peek();
        if (get == null) {
          throw new IllegalStateException("memcached answered a get that was not sent");
        }
        if (startsWith(in, start, end, "VALUE ")) {
          int keyStart = start + 6;
          int keyEnd = in.indexOf(keyStart, end, (byte) ' ');
          int bytesStart = keyEnd < 0 ? -1 : in.indexOf(keyEnd + 1, end, (byte) ' ') + 1;
          int bytesEnd = bytesStart <= 0 ? -1 : in.indexOf(bytesStart, end, (byte) ' ');
          valueBytes = parseInt(in, bytesStart, bytesEnd < 0 ? end : bytesEnd);
          valueKey =
              get.needsKeys()
                  ? in.toString(keyStart, keyEnd - keyStart, StandardCharsets.US_ASCII)
                  : null;
        } else if (startsWith(in, start, end, "END")) {
          connection.pending.poll().answered();
        } else {
          String line = in.toString(start, end - start, StandardCharsets.US_ASCII);
          connection.pending.poll();
          get.fail(
              new FeatureLookup.OnlineStoreUnavailableException(
                  FeatureLookup.Kind.UNAVAILABLE, "memcached answered " + line));
        }
        in.readerIndex(newline + 1);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      connection.lost(ctx.channel(), "closed the connection");
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      connection.lost(ctx.channel(), "failed: " + cause.getMessage());
      ctx.close();
    }

    private static boolean startsWith(ByteBuf in, int start, int end, String prefix) {
      if (end - start < prefix.length()) {
        return false;
      }
      for (int i = 0; i < prefix.length(); i++) {
        if (in.getByte(start + i) != prefix.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    private static int parseInt(ByteBuf in, int start, int end) {
      if (start <= 0 || end <= start) {
        throw new IllegalStateException("memcached sent a malformed VALUE line");
      }
      int value = 0;
      for (int i = start; i < end; i++) {
        byte digit = in.getByte(i);
        if (digit < '0' || digit > '9') {
          throw new IllegalStateException("memcached sent a malformed VALUE line");
        }
        value = value * 10 + (digit - '0');
      }
      return value;
    }
  }
}
