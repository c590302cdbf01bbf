package dev.featurestore.serving.web;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A slow-body attack: {@code count} connections that each send batchGet headers declaring a body of
 * {@code declaredBytes}, then one byte every {@code dripMillis}. A connection the server ends (408 or close) is
 * opened again, so {@code count} stay open for as long as this runs. One thread drips for all of them.
 */
public final class SlowBodyClients implements AutoCloseable {

  private static final byte[] DRIP = {' '};

  private final int port;
  private final int declaredBytes;
  private final long dripMillis;
  private final List<Socket> sockets = new ArrayList<>();
  private final ExecutorService dripper = Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "slow-body-clients"));
  private final AtomicLong ended = new AtomicLong();
  private final AtomicLong answered408 = new AtomicLong();
  private volatile boolean running = true;
  private final Future<?> dripping;

  public SlowBodyClients(int port, int count, int declaredBytes, long dripMillis) throws IOException {
    this.port = port;
    this.declaredBytes = declaredBytes;
    this.dripMillis = dripMillis;
    for (int i = 0; i < count; i++) {
      sockets.add(open());
    }
    dripping = dripper.submit(this::drip);
  }

  /** Connections the server ended (each was replaced by a new one). */
  public long ended() {
    return ended.get();
  }

  /** Of those, the ones that were answered with a 408 first. */
  public long answered408() {
    return answered408.get();
  }

  private Socket open() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(1);
    String head =
        "POST /v1/features:batchGet HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nContent-Length: " + declaredBytes + "\r\n\r\n";
    socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
    return socket;
  }

  private Void drip() throws Exception {
    byte[] answer = new byte[4096];
    while (running) {
      long start = System.nanoTime();
      for (int i = 0; i < sockets.size() && running; i++) {
        Socket socket = sockets.get(i);
        try {
          InputStream in = socket.getInputStream();
          if (in.available() > 0) {
            int n = in.read(answer);
            if (new String(answer, 0, Math.max(0, n), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 408")) {
              answered408.incrementAndGet();
            }
            throw new IOException("answered");
          }
          socket.getOutputStream().write(DRIP);
        } catch (IOException e) {
          ended.incrementAndGet();
          socket.close();
          sockets.set(i, open());
        }
      }
      long left = dripMillis - (System.nanoTime() - start) / 1_000_000;
      if (left > 0) {
        Thread.sleep(left);
      }
    }
    return null;
  }

  @Override
  public void close() throws Exception {
    running = false;
    try {
      dripping.get();
    } finally {
      dripper.shutdown();
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }
}
