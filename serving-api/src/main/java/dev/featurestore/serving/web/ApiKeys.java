package dev.featurestore.serving.web;

import dev.featurestore.serving.ServingProperties;
import dev.featurestore.spring.web.ErrorMetric;
import dev.featurestore.spring.web.ProblemJson;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.UrlPathHelper;

/**
 * Optional API-key authentication: when {@code featurestore.api-keys} lists keys, a request must
 * carry one of them in {@code X-API-Key} (or as {@code Authorization: Bearer <key>}), else it gets
 * a 401 problem. Keys are compared in constant time. Only health, info, metrics and the OpenAPI
 * document stay open.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ApiKeys extends OncePerRequestFilter {

  public static final String HEADER = "X-API-Key";
  private static final String BEARER = "Bearer ";

  /**
   * Everything else needs a key, so an unknown or oddly spelled path is refused rather than let
   * through.
   */
  private static final Set<String> OPEN =
      Set.of("/actuator/health", "/actuator/info", "/actuator/prometheus", "/openapi.yaml");

  private static final UrlPathHelper PATHS = new UrlPathHelper();

  private final List<byte[]> keys;
  private final ErrorMetric errors;

  public ApiKeys(ServingProperties properties, ErrorMetric errors) {
    this.keys =
        properties.apiKeys().stream().map(key -> key.getBytes(StandardCharsets.UTF_8)).toList();
    this.errors = errors;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    if (keys.isEmpty()) {
      return true;
    }
    // the path as Spring MVC matches it (decoded, without ;parameters): "/v1;x/..." or "/%761/..."
    // cannot slip by
    String path = PATHS.getPathWithinApplication(request);
    return OPEN.contains(path) || path.startsWith("/actuator/health/");
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String refusal = refusal(request.getHeader(HEADER), request.getHeader("Authorization"));
    if (refusal != null) {
      errors.count("unauthorized");
      response.setHeader("WWW-Authenticate", "Bearer");
      ProblemJson.write(response, 401, "Unauthorized", "unauthorized", refusal);
      return;
    }
    chain.doFilter(request, response);
  }

  /** Whether requests need a key at all. */
  public boolean required() {
    return !keys.isEmpty();
  }

  /**
   * Why a request with these headers is refused (the detail of its 401), or null when it carries an
   * accepted key.
   */
  public String refusal(String apiKeyHeader, String authorization) {
    String presented = apiKeyHeader;
    if (presented == null && authorization != null && authorization.startsWith(BEARER)) {
      presented = authorization.substring(BEARER.length());
    }
    if (presented == null) {
      return "Send an API key in the " + HEADER + " header";
    }
    return accepted(presented.getBytes(StandardCharsets.UTF_8)) ? null : "The API key is not valid";
  }

  private boolean accepted(byte[] presented) {
    boolean match = false;
    for (byte[] key : keys) {
      // no early exit: the time taken does not tell which key, or how much of it, matched
      match |= MessageDigest.isEqual(key, presented);
    }
    return match;
  }
}
