package dev.featurestore.serving.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.LongFunction;

/**
 * A minimal HTTP/1.1 keep-alive client on one socket: it writes a prepared request and reads the
 * status line, headers and a Content-Length body, no more. A benchmark client this small adds
 * microseconds, not the tens of microseconds a general client does, so the figures are the
 * server's.
 */
final class HttpLane implements OpenLoopLoad.Lane {

  private static final java.util.concurrent.atomic.AtomicReference<String> FIRST_ERROR =
      new java.util.concurrent.atomic.AtomicReference<>();

  private final int port;
  private Socket socket;
  private OutputStream out;
  private InputStream in;
  private final LongFunction<byte[]> requests;
  private final byte[] body = new byte[1 << 20];

  HttpLane(int port, LongFunction<byte[]> requests) throws IOException {
    this.port = port;
    this.requests = requests;
    connect();
  }

  private void connect() throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setTcpNoDelay(true);
    out = socket.getOutputStream();
    in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
  }

  static byte[] get(String path, String accept) {
    return ("GET " + path + " HTTP/1.1\r\nHost: bench\r\nAccept: " + accept + "\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static byte[] postJson(String path, String json, String accept) {
    byte[] content = json.getBytes(StandardCharsets.UTF_8);
    String head =
        "POST "
            + path
            + " HTTP/1.1\r\nHost: bench\r\nAccept: "
            + accept
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + content.length
            + "\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.UTF_8);
    byte[] request = new byte[headBytes.length + content.length];
    System.arraycopy(headBytes, 0, request, 0, headBytes.length);
    System.arraycopy(content, 0, request, headBytes.length, content.length);
    return request;
  }

  @Override
  public boolean call(long i) throws IOException {
    out.write(requests.apply(i));
    out.flush();
    String status = line();
    int contentLength = 0;
    boolean chunked = false;
    boolean close = false;
    for (String header = line(); !header.isEmpty(); header = line()) {
      int colon = header.indexOf(':');
      String name = header.substring(0, colon).trim();
      if (name.equalsIgnoreCase("Content-Length")) {
        contentLength = Integer.parseInt(header.substring(colon + 1).trim());
      } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
        chunked = true;
      } else if (name.equalsIgnoreCase("Connection")
          && header.substring(colon + 1).trim().equalsIgnoreCase("close")) {
        close = true;
      }
    }
    if (chunked) {
      for (int size = Integer.parseInt(line().trim(), 16);
          size > 0;
          size = Integer.parseInt(line().trim(), 16)) {
        readFully(size);
        contentLength = size;
        line();
      }
      line();
    } else {
      readFully(contentLength);
    }
    if (close) {
      socket.close();
      connect();
    }
    boolean ok = status.startsWith("HTTP/1.1 200");
    if (!ok && FIRST_ERROR.compareAndSet(null, status)) {
      System.err.println(
          "First error answer: "
              + status
              + " "
              + new String(body, 0, Math.min(contentLength, 300), StandardCharsets.UTF_8));
    }
    return ok;
  }

  private void readFully(int length) throws IOException {
    int read = 0;
    while (read < length) {
      int n = in.read(body, 0, Math.min(body.length, length - read));
      if (n < 0) {
        throw new IOException("connection closed mid-body");
      }
      read += n;
    }
  }

  private String line() throws IOException {
    StringBuilder line = new StringBuilder(64);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
