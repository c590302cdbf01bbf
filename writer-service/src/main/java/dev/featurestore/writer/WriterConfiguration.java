package dev.featurestore.writer;

import dev.featurestore.spring.offline.OfflineStoreConfiguration;
import dev.featurestore.spring.offline.OfflineStoreProperties;
import dev.featurestore.writer.embedding.SentenceEmbedder;
import dev.featurestore.writer.ingest.CommitPacing;
import dev.featurestore.writer.ingest.IngestLoop;
import dev.featurestore.writer.ingest.Ingestion;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.kafka.config.TopicBuilder;

@Configuration(proxyBeanMethods = false)
@Import(OfflineStoreConfiguration.class)
class WriterConfiguration {

  @Bean(destroyMethod = "close")
  SentenceEmbedder sentenceEmbedder(
      WriterProperties properties, OfflineStoreProperties offlineStore) {
    WriterProperties.Embedding embedding = properties.embedding();
    return SentenceEmbedder.builder()
        .engine(embedding.engine())
        .cacheDir(properties.modelCacheDir(offlineStore.stateDir()))
        .maxBatchSize(embedding.maxBatchSize())
        .intraOpThreads(embedding.intraOpThreads())
        .modelUrl(embedding.modelUrl())
        .modelName(embedding.modelName())
        .allowDownload(embedding.allowDownload())
        .build();
  }

  @Bean
  IngestLoop ingestLoop(
      Catalog catalog,
      Table featureTable,
      SentenceEmbedder embedder,
      KafkaProperties kafka,
      WriterProperties properties,
      OfflineStoreProperties offlineStore,
      MeterRegistry meters) {
    WriterProperties.Writer writer = properties.writer();
    return Ingestion.builder()
        .table(featureTable)
        .ledgerTable(offlineStore.newFeatureTable(catalog))
        .embedder(embedder)
        .consumerConfig(kafka.buildConsumerProperties())
        .producerConfig(kafka.buildProducerProperties())
        .topic(writer.topic())
        .deadLetterTopic(writer.deadLetterTopic())
        .consumerGroup(writer.consumerGroup())
        .maxTextBytes(writer.maxTextBytes())
        .pacing(new CommitPacing(writer.commitInterval(), writer.maxBatchRecords()))
        .meters(meters)
        .build();
  }

  @Bean
  NewTopic documentsTopic(WriterProperties properties) {
    return TopicBuilder.name(properties.writer().topic())
        .partitions(properties.writer().partitions())
        .build();
  }

  @Bean
  NewTopic deadLetterTopic(WriterProperties properties) {
    return TopicBuilder.name(properties.writer().deadLetterTopic())
        .partitions(properties.writer().partitions())
        .build();
  }
}
