package dev.featurestore.serving.web;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * How the serving port treats requests before and around the handlers (the limits themselves:
 * serving-api.yml).
 */
@Configuration
class WebSettings implements WebMvcConfigurer {

  private final AcceptQualities acceptQualities;

  WebSettings(AcceptQualities acceptQualities) {
    this.acceptQualities = acceptQualities;
  }

  @Override
  public void addInterceptors(InterceptorRegistry registry) {
    registry.addInterceptor(acceptQualities);
  }

  /**
   * Doc ids may contain {@code /} and {@code \} (ids that are URLs or paths are common): sent
   * percent-encoded in the path ({@code %2F}, {@code %5C}) they stay inside the {@code {docId}}
   * segment instead of being refused. Path matching works on the undecoded path and decodes each
   * segment, so an encoded slash cannot reach another route.
   */
  @Bean
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> encodedSlashesInIds() {
    return factory ->
        factory.addConnectorCustomizers(
            connector -> {
              connector.setEncodedSolidusHandling("passthrough");
              connector.setEncodedReverseSolidusHandling("passthrough");
            });
  }
}
