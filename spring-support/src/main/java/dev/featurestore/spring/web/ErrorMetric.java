package dev.featurestore.spring.web;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * The one error counter of a service ({@code featurestore.web.error-metric}, tagged {@code kind}):
 * every error answer is counted once, whether Spring MVC, the error page or Tomcat itself gave it.
 */
public final class ErrorMetric {

  private final MeterRegistry meters;
  private final String name;

  public ErrorMetric(MeterRegistry meters, String name) {
    this.meters = meters;
    this.name = name;
  }

  public void count(String kind) {
    meters.counter(name, "kind", kind).increment();
  }

  public void countStatus(int status) {
    count(ProblemJson.kind(status));
  }
}
