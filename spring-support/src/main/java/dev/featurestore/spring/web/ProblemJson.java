package dev.featurestore.spring.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.springframework.http.HttpStatus;

/**
 * RFC 9457 problem documents written without Spring MVC: from servlet filters, the error page and
 * Tomcat's own error reports, where no message converter runs. Details are escaped, so a client's
 * input echoed in a detail cannot break the JSON.
 */
public final class ProblemJson {

  public static final String MEDIA_TYPE = "application/problem+json";
  public static final String TYPES = "https://featurestore.dev/problems/";

  private ProblemJson() {}

  /** A problem with the standard title of {@code status} and a type named after it. */
  public static String render(int status, String detail) {
    return render(status, title(status), kind(status).replace('_', '-'), detail);
  }

  /** {@code type} is a slug under {@link #TYPES}. */
  public static String render(int status, String title, String type, String detail) {
    return render(status, title, type, detail, "");
  }

  /**
   * {@code members}: more members, already JSON, each after a comma ({@code ,"reason":"x"}); build
   * their strings with {@link #quoted}.
   */
  public static String render(
      int status, String title, String type, String detail, String members) {
    StringBuilder json = new StringBuilder(160 + members.length());
    json.append("{\"type\":");
    quote(json, TYPES + type);
    json.append(",\"title\":");
    quote(json, title);
    json.append(",\"status\":").append(status).append(",\"detail\":");
    quote(json, detail);
    return json.append(members).append('}').toString();
  }

  /** {@code s} as a JSON string, quoted and escaped. */
  public static String quoted(String s) {
    StringBuilder json = new StringBuilder(s.length() + 2);
    quote(json, s);
    return json.toString();
  }

  public static void write(
      HttpServletResponse response, int status, String title, String type, String detail)
      throws IOException {
    write(response, status, render(status, title, type, detail));
  }

  public static void write(HttpServletResponse response, int status, String json)
      throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.setContentType(MEDIA_TYPE);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  /** The metric tag of an error status: {@code not_found}, {@code bad_request}, ... */
  public static String kind(int status) {
    HttpStatus known = HttpStatus.resolve(status);
    return known == null ? "http_" + status : known.name().toLowerCase(Locale.ROOT);
  }

  static String title(int status) {
    HttpStatus known = HttpStatus.resolve(status);
    return known == null ? "HTTP " + status : known.getReasonPhrase();
  }

  private static void quote(StringBuilder json, String s) {
    json.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20 || (Character.isSurrogate(c) && !validSurrogateAt(s, i))) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    json.append('"');
  }

  private static boolean validSurrogateAt(String s, int i) {
    char c = s.charAt(i);
    return Character.isHighSurrogate(c)
        ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
        : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
