package dev.featurestore.serving.web;

import dev.featurestore.spring.web.ErrorMetric;
import dev.featurestore.spring.web.ProblemJson;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Applies {@code Accept} qualities as RFC 9110 (section 12.5.1) defines them before Spring MVC
 * picks a representation: a type's quality is that of the most specific range matching it, and
 * quality 0 means "not acceptable". Spring alone would still answer {@code application/json;q=0}
 * with JSON, and {@code application/json;q=0, *}{@code /*} too. The handler's producible types are
 * narrowed to the acceptable ones; when none is left, or the header cannot be parsed, the answer is
 * a 406 problem.
 */
@Component
public class AcceptQualities implements HandlerInterceptor {

  private final ErrorMetric errors;

  public AcceptQualities(ErrorMetric errors) {
    this.errors = errors;
  }

  @Override
  public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler)
      throws IOException {
    if (!(request.getAttribute(HandlerMapping.PRODUCIBLE_MEDIA_TYPES_ATTRIBUTE)
            instanceof Set<?> producible)
        || request.getHeader("Accept") == null) {
      return true;
    }
    List<MediaType> ranges;
    try {
      ranges = MediaType.parseMediaTypes(accept(request));
    } catch (InvalidMediaTypeException e) {
      return notAcceptable(response, "The Accept header cannot be parsed: " + e.getMessage());
    }
    Set<MediaType> acceptable = new LinkedHashSet<>();
    for (Object type : producible) {
      if (type instanceof MediaType mediaType && quality(ranges, mediaType) > 0) {
        acceptable.add(mediaType);
      }
    }
    if (acceptable.isEmpty()) {
      return notAcceptable(
          response, "None of the types this resource has is acceptable: " + producible);
    }
    request.setAttribute(HandlerMapping.PRODUCIBLE_MEDIA_TYPES_ATTRIBUTE, acceptable);
    return true;
  }

  /** The quality of {@code type} under {@code ranges}; 0 when no range matches it. */
  static double quality(List<MediaType> ranges, MediaType type) {
    MediaType best = null;
    for (MediaType range : ranges) {
      if (range.includes(type) && (best == null || specificity(range) > specificity(best))) {
        best = range;
      }
    }
    return best == null ? 0 : best.getQualityValue();
  }

  private static int specificity(MediaType range) {
    if (range.isWildcardType()) {
      return 0;
    }
    int parameters = range.getParameters().size() - (range.getParameter("q") == null ? 0 : 1);
    return range.isWildcardSubtype() ? 1 : 2 + parameters;
  }

  private static String accept(HttpServletRequest request) {
    StringBuilder header = new StringBuilder();
    for (Enumeration<String> values = request.getHeaders("Accept"); values.hasMoreElements(); ) {
      header.append(header.isEmpty() ? "" : ",").append(values.nextElement());
    }
    return header.toString();
  }

  private boolean notAcceptable(HttpServletResponse response, String detail) throws IOException {
    errors.count("not_acceptable");
    ProblemJson.write(response, 406, "Not Acceptable", "not-acceptable", detail);
    return false;
  }
}
