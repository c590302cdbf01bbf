package dev.featurestore.serving.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 exchange over a raw socket, bytes exactly as given: what a hostile client sends
 * cannot be built with a well-behaved client (a raw backslash in the path, a Content-Length larger
 * than the body, malformed headers).
 */
public final class RawHttp {

  /** A parsed answer; {@code millis} from the last byte sent to the end of the answer. */
  public record Response(int status, Map<String, String> headers, String body, long millis) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private RawHttp() {}

  public static Response exchange(int port, String request) throws IOException {
    return exchange(port, request.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Sends {@code request} (which should ask for {@code Connection: close}) and reads the answer to
   * its end.
   */
  public static Response exchange(int port, byte[] request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      long sent = System.nanoTime();
      byte[] raw = readAnswer(socket.getInputStream());
      return parse(new String(raw, StandardCharsets.UTF_8), (System.nanoTime() - sent) / 1_000_000);
    }
  }

  private static byte[] readAnswer(InputStream in) throws IOException {
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        answer.write(buffer, 0, n);
        if (complete(answer.toString(StandardCharsets.UTF_8))) {
          break;
        }
      }
    } catch (SocketTimeoutException e) {
      throw new IOException(
          "no complete answer within 30 s: " + answer.toString(StandardCharsets.UTF_8), e);
    } catch (IOException e) {
      // a reset after the answer (the server closes with unread request bytes) loses nothing
      // already read
      if (answer.size() == 0) {
        throw e;
      }
    }
    return answer.toByteArray();
  }

  private static boolean complete(String answer) {
    int end = answer.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    Map<String, String> headers = headers(answer.substring(0, end));
    String length = headers.get("content-length");
    return length != null
        && answer.getBytes(StandardCharsets.UTF_8).length - end - 4
            >= Integer.parseInt(length.trim());
  }

  private static Response parse(String answer, long millis) {
    int end = answer.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new IllegalStateException("not an HTTP answer: " + answer);
    }
    String head = answer.substring(0, end);
    int status = Integer.parseInt(head.substring(9, 12));
    String body = answer.substring(end + 4);
    Map<String, String> headers = headers(head);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = dechunk(body);
    }
    return new Response(status, headers, body, millis);
  }

  private static Map<String, String> headers(String head) {
    Map<String, String> headers = new TreeMap<>();
    String[] lines = head.split("\r\n");
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    return headers;
  }

  private static String dechunk(String body) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (at < body.length()) {
      int lineEnd = body.indexOf("\r\n", at);
      int size = Integer.parseInt(body.substring(at, lineEnd).trim(), 16);
      if (size == 0) {
        break;
      }
      out.append(body, lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
    return out.toString();
  }
}
