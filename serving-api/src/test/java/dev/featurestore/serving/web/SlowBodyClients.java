package dev.featurestore.serving.web;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A slow-body attack: {@code count} connections that each send batchGet headers declaring a body of
 * {@code declaredBytes}, then one byte every {@code dripMillis}. A connection the server ends (408
 * or close) is opened again, so {@code count} stay open for as long as this runs. One thread drips
 * for all of them.
 *
 * <p>Each connection sends its byte at its own phase of the period, or all in one burst ({@code
 * lockstep}: 1,000 tiny packets in a millisecond, which the server handles first-in first-out with
 * everyone else's requests). Opened all at once, the connections are also cut all at once (at the
 * server's body timeout) and come back as a burst of {@code count} new connections; opened over a
 * ramp as long as that timeout, they are cut and replaced at an even rate, as independent clients
 * would be.
 */
public final class SlowBodyClients implements AutoCloseable {

  private static final byte[] DRIP = {' '};

  private final int port;
  private final int declaredBytes;
  private final long dripMillis;
  private final boolean lockstep;
  // written by the ramp while the dripper reads it
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final ExecutorService dripper =
      Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "slow-body-clients"));
  private final AtomicLong ended = new AtomicLong();
  private final AtomicLong answered408 = new AtomicLong();
  private volatile boolean running = true;
  private final Future<?> dripping;

  public SlowBodyClients(int port, int count, int declaredBytes, long dripMillis)
      throws IOException, InterruptedException {
    this(port, count, declaredBytes, dripMillis, 0, false);
  }

  /**
   * As above, the connections opened evenly over {@code rampMillis} (this constructor returns after
   * it); {@code lockstep}: every connection's byte is sent in one burst per period, rather than
   * each at its own phase.
   */
  public SlowBodyClients(
      int port, int count, int declaredBytes, long dripMillis, long rampMillis, boolean lockstep)
      throws IOException, InterruptedException {
    this.port = port;
    this.declaredBytes = declaredBytes;
    this.dripMillis = dripMillis;
    this.lockstep = lockstep;
    dripping = dripper.submit(this::drip);
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long due = start + rampMillis * 1_000_000 * i / count;
      long wait = (due - System.nanoTime()) / 1_000_000;
      if (wait > 0) {
        Thread.sleep(wait);
      }
      sockets.add(open());
    }
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
        "POST /v1/features:batchGet HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nContent-Length: "
            + declaredBytes
            + "\r\n\r\n";
    socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
    return socket;
  }

  private Void drip() throws Exception {
    byte[] answer = new byte[4096];
    while (running) {
      long start = System.nanoTime();
      int count = sockets.size();
      for (int i = 0; i < count && running; i++) {
        // unless in lockstep, each connection drips at its own phase of the period, as independent
        // clients would
        long early = start + dripMillis * 1_000_000 * i / count - System.nanoTime();
        if (!lockstep && early > 0) {
          LockSupport.parkNanos(early);
        }
        Socket socket = sockets.get(i);
        try {
          InputStream in = socket.getInputStream();
          if (in.available() > 0) {
            int n = in.read(answer);
            if (new String(answer, 0, Math.max(0, n), StandardCharsets.US_ASCII)
                .startsWith("HTTP/1.1 408")) {
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
