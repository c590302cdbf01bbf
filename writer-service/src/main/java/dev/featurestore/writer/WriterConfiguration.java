package dev.featurestore.writer;

import dev.featurestore.common.FeatureTable;
import dev.featurestore.writer.embedding.MiniLmArtifact;
import dev.featurestore.writer.embedding.SentenceEmbedder;
import dev.featurestore.writer.ingest.DeadLetterPublisher;
import dev.featurestore.writer.ingest.DocumentBatchListener;
import dev.featurestore.writer.ingest.DocumentParser;
import dev.featurestore.writer.ingest.FeatureTableAppender;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.ExponentialBackOff;

@Configuration(proxyBeanMethods = false)
class WriterConfiguration {

  @Bean
  Catalog catalog(WriterProperties properties) {
    return properties.catalog().load(properties.stateDir());
  }

  @Bean
  Table featureTable(Catalog catalog, WriterProperties properties) {
    return FeatureTable.createOrLoad(catalog, FeatureTable.identifier(properties.catalog().table()));
  }

  @Bean
  MiniLmArtifact miniLmArtifact(WriterProperties properties) {
    return MiniLmArtifact.extract(properties.modelCacheDir());
  }

  @Bean(destroyMethod = "close")
  SentenceEmbedder sentenceEmbedder(MiniLmArtifact artifact, WriterProperties properties) {
    return SentenceEmbedder.load(artifact, properties.embedding().maxBatchSize(), properties.embedding().intraOpThreads());
  }

  @Bean
  FeatureTableAppender featureTableAppender(Table featureTable) {
    return new FeatureTableAppender(featureTable);
  }

  @Bean
  DeadLetterPublisher deadLetterPublisher(KafkaTemplate<String, byte[]> template, WriterProperties properties) {
    return new DeadLetterPublisher(template, properties.writer().deadLetterTopic());
  }

  @Bean
  DocumentBatchListener documentBatchListener(
      SentenceEmbedder embedder, FeatureTableAppender appender, DeadLetterPublisher deadLetters, WriterProperties properties, MeterRegistry meters) {
    return new DocumentBatchListener(
        new DocumentParser(properties.writer().maxTextBytes()), embedder, appender, deadLetters, Clock.systemUTC(), meters);
  }

  @Bean
  NewTopic documentsTopic(WriterProperties properties) {
    return TopicBuilder.name(properties.writer().topic()).partitions(properties.writer().partitions()).build();
  }

  @Bean
  NewTopic deadLetterTopic(WriterProperties properties) {
    return TopicBuilder.name(properties.writer().deadLetterTopic()).partitions(properties.writer().partitions()).build();
  }

  /**
   * A batch that cannot be stored (catalog or broker down) is retried with back-off, indefinitely: the writer stalls
   * and its consumer lag grows, which is visible, rather than skipping records, which is not.
   */
  @Bean
  DefaultErrorHandler batchErrorHandler() {
    ExponentialBackOff backOff = new ExponentialBackOff(500, 2.0);
    backOff.setMaxInterval(30_000);
    return new DefaultErrorHandler(backOff);
  }
}
