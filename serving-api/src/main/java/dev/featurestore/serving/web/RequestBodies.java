package dev.featurestore.serving.web;

import dev.featurestore.serving.ServingProperties;
import dev.featurestore.spring.web.ErrorMetric;
import dev.featurestore.spring.web.ProblemJson;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Request bodies are read without holding a request thread, within a time and size bound, before
 * any handler runs.
 *
 * <p>A servlet that reads its body with a blocking stream holds a worker thread for as long as the
 * client takes to send it: a couple of hundred clients sending a body one byte at a time held all
 * of Tomcat's threads, and no lookup could run. Here the body is collected with the Servlet API's
 * non-blocking reads (a {@link ReadListener} is called only when bytes arrived), and the request is
 * dispatched to its handler once the whole body is in memory. A body larger than {@code
 * featurestore.max-request-size} is refused with a 413 as soon as that is known; a body that has
 * not fully arrived within {@code featurestore.request-body-timeout} (a Content-Length larger than
 * what is sent, a client stalling) gets a 408. Both close the connection.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class RequestBodies extends OncePerRequestFilter {

  private static final String BODY = RequestBodies.class.getName() + ".body";

  private final long maxBytes;
  private final long timeoutMillis;
  private final ErrorMetric errors;

  public RequestBodies(ServingProperties properties, ErrorMetric errors) {
    this.maxBytes = properties.maxRequestSize().toBytes();
    this.timeoutMillis = properties.requestBodyTimeout().toMillis();
    this.errors = errors;
  }

  @Override
  protected boolean shouldNotFilterAsyncDispatch() {
    return false;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (request.getAttribute(BODY) instanceof byte[] body) {
      chain.doFilter(new BufferedBodyRequest(request, body), response);
      return;
    }
    boolean hasBody =
        request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    if (request.getDispatcherType() != DispatcherType.REQUEST || !hasBody) {
      chain.doFilter(request, response);
      return;
    }
    if (request.getContentLengthLong() > maxBytes) {
      refuse(response, 413, tooLarge());
      return;
    }
    AsyncContext async = request.startAsync(request, response);
    async.setTimeout(timeoutMillis);
    BodyCollector collector = new BodyCollector(async, request, response);
    async.addListener(collector);
    request.getInputStream().setReadListener(collector);
  }

  private static String tooLarge() {
    return ProblemJson.render(
        413,
        "Request too large",
        "request-too-large",
        "The request body is larger than the configured limit");
  }

  private void refuse(HttpServletResponse response, int status, String problem) throws IOException {
    errors.countStatus(status);
    // the rest of the body is not read: the connection cannot carry another request
    response.setHeader("Connection", "close");
    ProblemJson.write(response, status, problem);
  }

  /**
   * Collects one body as its bytes arrive; exactly one of dispatch, 413, 408 or abandonment ends
   * it.
   */
  private final class BodyCollector implements ReadListener, AsyncListener {
    private final AsyncContext async;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final byte[] chunk = new byte[8192];
    private final AtomicBoolean ended = new AtomicBoolean();

    BodyCollector(AsyncContext async, HttpServletRequest request, HttpServletResponse response) {
      this.async = async;
      this.request = request;
      this.response = response;
    }

    @Override
    public void onDataAvailable() throws IOException {
      ServletInputStream in = request.getInputStream();
      while (in.isReady() && !in.isFinished()) {
        int n = in.read(chunk);
        if (n < 0) {
          return;
        }
        if (body.size() + n > maxBytes) {
          end(413, tooLarge());
          return;
        }
        body.write(chunk, 0, n);
      }
    }

    @Override
    public void onAllDataRead() {
      if (ended.compareAndSet(false, true)) {
        request.setAttribute(BODY, body.toByteArray());
        async.dispatch();
      }
    }

    @Override
    public void onTimeout(AsyncEvent event) throws IOException {
      end(
          408,
          ProblemJson.render(
              408,
              "Request timeout",
              "request-timeout",
              "The request body did not arrive within " + timeoutMillis + " ms"));
    }

    @Override
    public void onError(Throwable failure) {
      // the client went away or sent a malformed chunked body: no one is left to answer
      if (ended.compareAndSet(false, true)) {
        async.complete();
      }
    }

    @Override
    public void onError(AsyncEvent event) {
      onError(event.getThrowable());
    }

    @Override
    public void onComplete(AsyncEvent event) {}

    @Override
    public void onStartAsync(AsyncEvent event) {}

    private void end(int status, String problem) throws IOException {
      if (ended.compareAndSet(false, true)) {
        try {
          refuse(response, status, problem);
        } finally {
          async.complete();
        }
      }
    }
  }

  /** The request as its handler sees it: the body from memory. */
  private static final class BufferedBodyRequest extends HttpServletRequestWrapper {
    private final byte[] body;

    BufferedBodyRequest(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] bytes, int offset, int length) {
          return in.read(bytes, offset, length);
        }

        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new IllegalStateException("The body is already in memory: read it directly");
        }
      };
    }

    @Override
    public int getContentLength() {
      return body.length;
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }
  }
}
