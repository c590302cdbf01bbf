package dev.featurestore.replicator;

import dev.featurestore.common.MemcachedClients;
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
import dev.featurestore.web.ErrorMetric;
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

@Configuration(proxyBeanMethods = false)
class ReplicatorConfiguration {

  @Bean
  Catalog catalog(ReplicatorProperties properties) {
    return properties.catalog().load(properties.stateDir());
  }

  @Bean
  Table featureTable(Catalog catalog, ReplicatorProperties properties) {
    return properties.catalog().featureTable(catalog);
  }

  @Bean(destroyMethod = "shutdown")
  MemcachedClient memcachedClient(ReplicatorProperties properties) {
    return MemcachedClients.connect(properties.memcached());
  }

  @Bean
  JdbcReplicationState replicationState(ReplicatorProperties properties) {
    Map<String, String> catalog = properties.catalog().resolvedProperties(properties.stateDir());
    String url = properties.replicator().checkpointJdbcUrl();
    if (url == null || url.isBlank()) {
      url = catalog.get(CatalogProperties.URI);
    }
    if (url == null || !url.startsWith("jdbc:")) {
      throw new IllegalStateException(
          "The catalog is not a JDBC catalog (uri " + url + "): set featurestore.replicator.checkpoint-jdbc-url");
    }
    String owner = properties.replicator().instanceId() != null ? properties.replicator().instanceId() : defaultInstanceId();
    return new JdbcReplicationState(
        url, catalog.get("jdbc.user"), catalog.get("jdbc.password"), owner, properties.replicator().leaseTtl(), Clock.systemUTC());
  }

  private static String defaultInstanceId() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "unknown-host";
    }
    return host + "-" + ProcessHandle.current().pid() + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
  }

  @Bean
  SnapshotFollower snapshotFollower(
      Table featureTable, MemcachedClient memcached, JdbcReplicationState state, ReplicatorProperties properties, MeterRegistry meters) {
    ReplicatorProperties.Replicator settings = properties.replicator();
    return new SnapshotFollower(
        featureTable,
        properties.catalog().table(),
        () ->
            new OnlineStoreWriter(
                memcached, properties.memcached().keyScheme(), settings.writeBatchSize(), settings.writeTimeout().toMillis()),
        new OnlineStoreSentinels(memcached, properties.memcached().keyScheme(), settings.writeTimeout().toMillis()),
        state,
        state,
        meters);
  }

  @Bean
  TableMaintenance tableMaintenance(Catalog catalog, JdbcReplicationState state, ReplicatorProperties properties, MeterRegistry meters) {
    // a table instance of its own: Iceberg tables are not thread-safe, and the replication loop refreshes its own
    return new TableMaintenance(
        properties.catalog().featureTable(catalog), properties.catalog().table(), state, state, properties.replicator().leaseTtl(),
        Clock.systemUTC(), meters);
  }

  @Bean
  @ConditionalOnProperty(name = "featurestore.maintenance.enabled", havingValue = "true", matchIfMissing = true)
  MaintenanceSchedule maintenanceSchedule(TableMaintenance maintenance, ReplicatorProperties properties) {
    return new MaintenanceSchedule(maintenance, properties.maintenance().options(), properties.maintenance().interval());
  }

  @Bean
  MaintenanceEndpoint maintenanceEndpoint(TableMaintenance maintenance, ReplicatorProperties properties, ErrorMetric errors) {
    return new MaintenanceEndpoint(maintenance, properties.maintenance().options(), errors);
  }

  @Bean
  ErasureEndpoint erasureEndpoint(Catalog catalog, ReplicatorProperties properties, ErrorMetric errors) {
    return new ErasureEndpoint(new ErasureCheck(properties.catalog().featureTable(catalog)), errors);
  }

  @Bean
  ReplicationLoop replicationLoop(SnapshotFollower follower, ReplicatorProperties properties) {
    return new ReplicationLoop(follower, properties.replicator().pollInterval());
  }
}
