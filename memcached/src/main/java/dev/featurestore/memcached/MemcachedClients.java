package dev.featurestore.memcached;

import dev.featurestore.api.OnlineFeatureCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import net.spy.memcached.CachedData;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.FailureMode;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.transcoders.Transcoder;

/**
 * Builds the spymemcached client both the replicator and the serving API use, so both hash keys
 * alike.
 */
public final class MemcachedClients {

  /**
   * Values are stored as the raw bytes of {@link OnlineFeatureCodec}: no Java serialization, no
   * compression.
   */
  public static final Transcoder<byte[]> RAW_BYTES = new RawBytesTranscoder();

  static {
    // spymemcached logs to stderr by itself unless told otherwise: through SLF4J its lines follow
    // the service's
    // log levels and format (JSON included) like every other line
    if (System.getProperty("net.spy.log.LoggerImpl") == null) {
      System.setProperty("net.spy.log.LoggerImpl", "net.spy.memcached.compat.log.SLF4JLogger");
    }
  }

  private MemcachedClients() {}

  public static MemcachedClient connect(MemcachedSettings settings) {
    List<InetSocketAddress> addresses =
        settings.addresses().stream()
            .map(a -> new InetSocketAddress(a.getHostString(), a.getPort()))
            .toList();
    ConnectionFactoryBuilder builder =
        new ConnectionFactoryBuilder()
            .setProtocol(ConnectionFactoryBuilder.Protocol.BINARY)
            .setLocatorType(ConnectionFactoryBuilder.Locator.CONSISTENT)
            .setHashAlg(DefaultHashAlgorithm.KETAMA_HASH)
            // Cancel rather than redistribute: a key must never be read from or written to the
            // wrong server.
            .setFailureMode(FailureMode.Cancel)
            .setOpTimeout(settings.operationTimeout().toMillis())
            .setMaxReconnectDelay(5)
            .setDaemon(true);
    try {
      return new MemcachedClient(builder.build(), addresses);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create memcached client for " + settings.servers(), e);
    }
  }

  private static final class RawBytesTranscoder implements Transcoder<byte[]> {
    @Override
    public boolean asyncDecode(CachedData data) {
      return false;
    }

    @Override
    public CachedData encode(byte[] value) {
      return new CachedData(0, value, getMaxSize());
    }

    @Override
    public byte[] decode(CachedData data) {
      return data.getData();
    }

    @Override
    public int getMaxSize() {
      return CachedData.MAX_SIZE;
    }
  }
}
