package dev.featurestore.spring.web;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

/**
 * Tomcat's error report as a problem document instead of an HTML page. Tomcat answers some requests
 * itself before any servlet sees them (an undecodable or forbidden path such as {@code %00},
 * invalid UTF-8, a request line or headers over the size limit); without this they would be HTML
 * and uncounted.
 */
public final class ProblemErrorReportValve extends ErrorReportValve {

  private final ErrorMetric errors;

  public ProblemErrorReportValve(ErrorMetric errors) {
    this.errors = errors;
  }

  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int status = response.getStatus();
    if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
      return;
    }
    AtomicBoolean clientListens = new AtomicBoolean();
    response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, clientListens);
    if (!clientListens.get()) {
      // the client went away (Tomcat then reports a 500): nobody was answered, so nothing is
      // counted
      return;
    }
    if (status == 400 && headersTooLarge(throwable)) {
      status = 431;
      response.setStatus(status);
    }
    errors.countStatus(status);
    try {
      response.setContentType(ProblemJson.MEDIA_TYPE);
      response.setCharacterEncoding("UTF-8");
      Writer writer = response.getReporter();
      if (writer != null) {
        writer.write(ProblemJson.render(status, detail(status, throwable)));
        response.finishResponse();
      }
    } catch (IOException | IllegalStateException e) {
      // the client is gone or the response is already closed: nothing left to tell
    }
  }

  private static boolean headersTooLarge(Throwable throwable) {
    for (Throwable cause = throwable; cause != null; cause = cause.getCause()) {
      String message = cause.getMessage();
      if (message != null && message.contains("header is too large")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Tomcat's own message names the offending part of the request; class names and stack traces stay
   * out.
   */
  private static String detail(int status, Throwable throwable) {
    if (status == 431) {
      return "The request line and headers are larger than the server accepts";
    }
    String message = throwable == null ? null : throwable.getMessage();
    if (message == null || message.isBlank()) {
      return status == 400
          ? "The request is not valid HTTP or its path cannot be decoded"
          : ProblemJson.title(status);
    }
    return message.length() <= 300 ? message : message.substring(0, 297) + "...";
  }
}
