package dev.featurestore.serving.web;

import dev.featurestore.serving.ServingProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies over {@code featurestore.max-request-size} with a 413 problem: at once when the declared
 * length is too large, and while reading when a chunked body runs over, so no request can make the server buffer
 * more than the limit.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class RequestLimits extends OncePerRequestFilter {

  private final long maxBytes;
  private final Counter refused;

  public RequestLimits(ServingProperties properties, MeterRegistry meters) {
    this.maxBytes = properties.maxRequestSize().toBytes();
    this.refused = meters.counter("featurestore.serving.errors", "kind", "content_too_large");
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return "GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod());
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (request.getContentLengthLong() > maxBytes) {
      refused.increment();
      Problems.write(response, tooLarge());
      return;
    }
    chain.doFilter(new BoundedRequest(request, maxBytes), response);
  }

  public static ProblemDetail tooLarge() {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE, "The request body is larger than the configured limit");
    problem.setTitle("Request too large");
    problem.setType(URI.create("https://featurestore.dev/problems/request-too-large"));
    return problem;
  }

  /** Whether reading the body failed because it ran over the limit. */
  public static boolean isTooLarge(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof BodyTooLargeException) {
        return true;
      }
    }
    return false;
  }

  private static final class BodyTooLargeException extends IOException {
    BodyTooLargeException(long limit) {
      super("request body over " + limit + " bytes");
    }
  }

  private static final class BoundedRequest extends HttpServletRequestWrapper {
    private final long maxBytes;
    private ServletInputStream bounded;

    BoundedRequest(HttpServletRequest request, long maxBytes) {
      super(request);
      this.maxBytes = maxBytes;
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (bounded == null) {
        bounded = new BoundedStream(super.getInputStream(), maxBytes);
      }
      return bounded;
    }
  }

  private static final class BoundedStream extends ServletInputStream {
    private final ServletInputStream in;
    private final long maxBytes;
    private long read;

    BoundedStream(ServletInputStream in, long maxBytes) {
      this.in = in;
      this.maxBytes = maxBytes;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
      int n = in.read(bytes, offset, length);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    private void count(int n) throws BodyTooLargeException {
      read += n;
      if (read > maxBytes) {
        throw new BodyTooLargeException(maxBytes);
      }
    }

    @Override
    public boolean isFinished() {
      return in.isFinished();
    }

    @Override
    public boolean isReady() {
      return in.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
      in.setReadListener(listener);
    }
  }
}
