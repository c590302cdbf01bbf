package dev.featurestore.spring.web;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.catalina.core.StandardHost;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.webmvc.autoconfigure.error.ErrorMvcAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Problem documents for every error of a service's HTTP port: the error page, and Tomcat's error
 * report on the host (set before the host starts, so Tomcat does not add its HTML one).
 */
@AutoConfiguration(before = ErrorMvcAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class ProblemWebConfiguration {

  @Bean
  ErrorMetric errorMetric(
      MeterRegistry meters,
      @Value("${featurestore.web.error-metric:featurestore.http.errors}") String name) {
    return new ErrorMetric(meters, name);
  }

  @Bean
  ProblemErrorController problemErrorController(ErrorMetric errors) {
    return new ProblemErrorController(errors);
  }

  @Bean
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports(
      ErrorMetric errors) {
    return factory ->
        factory.addContextCustomizers(
            context -> {
              if (context.getParent() instanceof StandardHost host) {
                host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                host.getPipeline().addValve(new ProblemErrorReportValve(errors));
              }
            });
  }
}
