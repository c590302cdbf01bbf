package dev.featurestore.spring.web;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * The error page ({@code /error}) as a problem document for every method and {@code Accept}: what a
 * servlet or Tomcat sends with {@code sendError} (a TRACE, a timed-out request, a 404 no handler
 * answered) would otherwise get Spring Boot's own JSON shape.
 */
@Controller
public class ProblemErrorController implements ErrorController {

  private final ErrorMetric errors;

  public ProblemErrorController(ErrorMetric errors) {
    this.errors = errors;
  }

  @RequestMapping("${server.error.path:${error.path:/error}}")
  public void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
    Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    int status = code instanceof Integer value && value >= 400 ? value : 500;
    errors.countStatus(status);
    response.resetBuffer();
    ProblemJson.write(response, status, ProblemJson.render(status, detail(status)));
  }

  private static String detail(int status) {
    return switch (status) {
      case 404 -> "No resource at this path";
      case 405 -> "This path does not accept this method";
      case 408 -> "The request did not arrive in time";
      default ->
          status >= 500 ? "The server could not answer this request" : ProblemJson.title(status);
    };
  }
}
