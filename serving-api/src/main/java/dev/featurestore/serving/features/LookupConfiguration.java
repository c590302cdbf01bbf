package dev.featurestore.serving.features;

import dev.featurestore.serving.EventLoops;
import dev.featurestore.serving.ServingProperties;
import net.spy.memcached.MemcachedClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The event loops and the memcached reads of lookups. */
@Configuration
class LookupConfiguration {

  @Bean(destroyMethod = "close")
  EventLoops eventLoops(ServingProperties properties) {
    return new EventLoops(properties.http().threadsOrCores());
  }

  @Bean(destroyMethod = "close")
  EventLoopMemcached onlineStoreReads(
      EventLoops loops, MemcachedClient memcached, ServingProperties properties) {
    return EventLoopMemcached.onTheRingOf(memcached, loops, properties.lookups().maxInFlight());
  }
}
