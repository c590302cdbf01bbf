package dev.featurestore.replicator;

import com.zaxxer.hikari.HikariDataSource;
import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.replicator.checkpoint.JdbcReplicationState;
import dev.featurestore.replicator.maintenance.ErasureCheck;
import dev.featurestore.replicator.maintenance.ErasureEndpoint;
import dev.featurestore.replicator.maintenance.MaintenanceEndpoint;
import dev.featurestore.replicator.maintenance.MaintenanceSchedule;
import dev.featurestore.replicator.maintenance.TableMaintenance;
import dev.featurestore.replicator.sync.OnlineStoreSentinels;
import dev.featurestore.replicator.sync.OnlineStoreWriter;
import dev.featurestore.replicator.sync.ReplicationLoop;
import dev.featurestore.replicator.sync.SnapshotFollower;
import dev.featurestore.spring.offline.OfflineStoreConfiguration;
import dev.featurestore.spring.offline.OfflineStoreProperties;
import dev.featurestore.spring.online.OnlineStoreConfiguration;
import dev.featurestore.spring.online.OnlineStoreProperties;
import dev.featurestore.spring.web.ErrorMetric;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Map;
import net.spy.memcached.MemcachedClient;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

@Configuration(proxyBeanMethods = false)
@Import({OfflineStoreConfiguration.class, OnlineStoreConfiguration.class})
class ReplicatorConfiguration {

  /**
   * The checkpoint and lease database: by default the catalog's own (SQLite locally, PostgreSQL in
   * compose).
   */
  @Bean(destroyMethod = "close")
  HikariDataSource replicationStateDataSource(
      ReplicatorProperties properties, OfflineStoreProperties offlineStore) {
    Map<String, String> catalog =
        offlineStore.catalog().resolvedProperties(offlineStore.stateDir());
    String url = properties.replicator().checkpointJdbcUrl();
    if (url == null || url.isBlank()) {
      url = catalog.get(CatalogProperties.URI);
    }
    if (url == null || !url.startsWith("jdbc:")) {
      throw new IllegalStateException(
          "The catalog is not a JDBC catalog (uri "
              + url
              + "): set featurestore.replicator.checkpoint-jdbc-url");
    }
    return JdbcReplicationState.pooledDataSource(
        url, catalog.get("jdbc.user"), catalog.get("jdbc.password"));
  }

  @Bean
  JdbcReplicationState replicationState(
      HikariDataSource replicationStateDataSource,
      ReplicatorProperties properties,
      MeterRegistry meters) {
    String owner =
        properties.replicator().instanceId() != null
            ? properties.replicator().instanceId()
            : defaultInstanceId();
    JdbcReplicationState state =
        new JdbcReplicationState(
            replicationStateDataSource,
            owner,
            properties.replicator().leaseTtl(),
            Clock.systemUTC());
    Gauge.builder(
            "featurestore.replicator.clock.skew", state, s -> s.clockSkew().toMillis() / 1000.0)
        .description(
            "this replicator's clock minus the state database's, at the last lease renewal")
        .baseUnit("seconds")
        .register(meters);
    return state;
  }

  private static String defaultInstanceId() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "unknown-host";
    }
    return host
        + "-"
        + ProcessHandle.current().pid()
        + "-"
        + java.util.UUID.randomUUID().toString().substring(0, 8);
  }

  @Bean
  SnapshotFollower snapshotFollower(
      Table featureTable,
      MemcachedClient memcached,
      JdbcReplicationState state,
      ReplicatorProperties properties,
      OfflineStoreProperties offlineStore,
      OnlineStoreProperties onlineStore,
      MeterRegistry meters) {
    ReplicatorProperties.Replicator settings = properties.replicator();
    MemcachedKeyScheme keys = onlineStore.memcached().keyScheme();
    return new SnapshotFollower(
        featureTable,
        offlineStore.catalog().table(),
        () ->
            new OnlineStoreWriter(
                memcached, keys, settings.writeBatchSize(), settings.writeTimeout().toMillis()),
        new OnlineStoreSentinels(memcached, keys, settings.writeTimeout().toMillis()),
        state,
        state,
        meters);
  }

  @Bean
  TableMaintenance tableMaintenance(
      Catalog catalog,
      JdbcReplicationState state,
      ReplicatorProperties properties,
      OfflineStoreProperties offlineStore,
      MeterRegistry meters) {
    // a table instance of its own: the replication loop refreshes its own
    return new TableMaintenance(
        offlineStore.newFeatureTable(catalog),
        offlineStore.catalog().table(),
        state,
        state,
        properties.replicator().leaseTtl(),
        Clock.systemUTC(),
        meters);
  }

  @Bean
  @ConditionalOnProperty(
      name = "featurestore.maintenance.enabled",
      havingValue = "true",
      matchIfMissing = true)
  MaintenanceSchedule maintenanceSchedule(
      TableMaintenance maintenance, ReplicatorProperties properties) {
    return new MaintenanceSchedule(
        maintenance, properties.maintenance().options(), properties.maintenance().interval());
  }

  @Bean
  MaintenanceEndpoint maintenanceEndpoint(
      TableMaintenance maintenance, ReplicatorProperties properties, ErrorMetric errors) {
    return new MaintenanceEndpoint(maintenance, properties.maintenance().options(), errors);
  }

  @Bean
  ErasureEndpoint erasureEndpoint(
      Catalog catalog, OfflineStoreProperties offlineStore, ErrorMetric errors) {
    return new ErasureEndpoint(new ErasureCheck(offlineStore.newFeatureTable(catalog)), errors);
  }

  @Bean
  ReplicationLoop replicationLoop(SnapshotFollower follower, ReplicatorProperties properties) {
    return new ReplicationLoop(follower, properties.replicator().pollInterval());
  }
}
