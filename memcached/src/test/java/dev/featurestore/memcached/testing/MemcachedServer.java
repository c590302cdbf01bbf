package dev.featurestore.memcached.testing;

import dev.featurestore.testing.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real memcached server (Debian's {@code memcached} binary) on a free loopback port, owned by the
 * test: started as a child process, stopped and restarted at will. {@code ./featurestore test}
 * installs the binary.
 */
public final class MemcachedServer implements AutoCloseable {

  private final int port;
  private final int megabytes;
  private Process process;

  private MemcachedServer(int port, int megabytes) {
    this.port = port;
    this.megabytes = megabytes;
  }

  public static MemcachedServer start() {
    return start(64);
  }

  /** A server with {@code megabytes} of memory for items. */
  public static MemcachedServer start(int megabytes) {
    MemcachedServer server = new MemcachedServer(Ports.free(), megabytes);
    server.restart();
    return server;
  }

  public int port() {
    return port;
  }

  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Starts the server (again, empty) on the same port. */
  public synchronized void restart() {
    stop();
    List<String> command =
        new ArrayList<>(
            List.of(
                binary(),
                "-l",
                "127.0.0.1",
                "-p",
                Integer.toString(port),
                "-U",
                "0",
                "-m",
                Integer.toString(megabytes),
                "-I",
                "1m"));
    if ("root".equals(System.getProperty("user.name"))) {
      command.addAll(List.of("-u", "root"));
    }
    try {
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot start memcached (is it installed? ./featurestore test installs it)", e);
    }
    awaitPort(Duration.ofSeconds(10));
  }

  public synchronized void stop() {
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  /**
   * Publishes key generation {@code generation} on {@code servers}, as a replicator does after a
   * full resync, so that a serving API started afterwards reads that generation. Retries while the
   * client is still connecting.
   */
  public static void publishGeneration(long generation, MemcachedServer... servers) {
    List<String> addresses =
        java.util.Arrays.stream(servers).map(MemcachedServer::address).toList();
    net.spy.memcached.MemcachedClient client =
        dev.featurestore.memcached.MemcachedClients.connect(
            new dev.featurestore.memcached.MemcachedSettings(
                addresses, Duration.ofSeconds(2), null));
    try {
      dev.featurestore.memcached.OnlineStoreGeneration sentinels =
          new dev.featurestore.memcached.OnlineStoreGeneration(
              client, dev.featurestore.api.MemcachedKeyScheme.defaultScheme(), 2000);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (true) {
        try {
          sentinels.publish(sentinels.servers(), generation);
          return;
        } catch (
            dev.featurestore.memcached.OnlineStoreGeneration.OnlineStoreUnavailableException e) {
          // operations are cancelled until the client has connected
          if (System.nanoTime() > deadline) {
            throw e;
          }
          sleep();
        }
      }
    } finally {
      client.shutdown();
    }
  }

  /**
   * Freezes the server (SIGSTOP): connections stay open but nothing is answered, like a stalled or
   * overloaded host.
   */
  public synchronized void pause() {
    signal("-STOP");
  }

  /** Lets a paused server answer again (SIGCONT). */
  public synchronized void resume() {
    signal("-CONT");
  }

  private void signal(String signal) {
    try {
      Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).start();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process != null) {
      resume();
    }
    stop();
  }

  private void awaitPort(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("memcached exited with " + process.exitValue());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        sleep();
      }
    }
    throw new IllegalStateException(
        "memcached did not listen on port " + port + " within " + timeout);
  }

  private static String binary() {
    for (String candidate : List.of("/usr/bin/memcached", "/usr/local/bin/memcached")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    return "memcached";
  }

  private static void sleep() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
