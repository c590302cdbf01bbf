package dev.featurestore.iceberg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.Embeddings;
import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.ModelId;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureTableTest {

  @TempDir Path stateDir;

  @Test
  void createdTableHasExactlyTheContractSchemaAndADayPartitionAfterAnUnpartitionedSpec() {
    Catalog catalog = CatalogSettings.defaults().load(stateDir);
    Table table =
        FeatureTable.createOrLoad(catalog, FeatureTable.identifier(CatalogSettings.DEFAULT_TABLE));

    assertThat(table.schema().sameSchema(FeatureTable.SCHEMA))
        .as("table schema %s", table.schema())
        .isTrue();
    assertThat(table.schema().identifierFieldNames()).containsExactly(FeatureTable.DOC_ID);
    assertThat(table.specs().get(0).isUnpartitioned()).isTrue();
    assertThat(table.spec().fields())
        .singleElement()
        .satisfies(field -> assertThat(field.transform().toString()).isEqualTo("day"));
    assertThat(((HasTableOperations) table).operations().current().formatVersion()).isEqualTo(2);
    assertThat(table.properties()).containsEntry("write.parquet.compression-codec", "zstd");

    Table again =
        FeatureTable.createOrLoad(catalog, FeatureTable.identifier(CatalogSettings.DEFAULT_TABLE));
    assertThat(again.spec().specId()).isEqualTo(table.spec().specId());
  }

  @Test
  void tableOfAnOlderVersionGainsTheNewColumns() {
    Catalog catalog = CatalogSettings.defaults().load(stateDir);
    org.apache.iceberg.catalog.TableIdentifier id = FeatureTable.identifier("old.embeddings");
    ((org.apache.iceberg.catalog.SupportsNamespaces) catalog).createNamespace(id.namespace());
    catalog.createTable(
        id, new org.apache.iceberg.Schema(FeatureTable.SCHEMA.columns().subList(0, 6)));

    Table table = FeatureTable.createOrLoad(catalog, id);

    assertThat(table.schema().findField(FeatureTable.KAFKA_OFFSET)).isNotNull();
    assertThat(FeatureTable.createOrLoad(catalog, id).schema().schemaId())
        .as("evolved once")
        .isEqualTo(table.schema().schemaId());
  }

  @Test
  void rowSurvivesTheRecordRoundTripBitForBit() {
    float[] embedding = new float[Embeddings.DIMENSION];
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = (float) Math.sin(i) / 7f;
    }
    embedding[3] = Float.MIN_VALUE;
    FeatureRow row =
        new FeatureRow(
            "doc-1",
            embedding,
            ModelId.of("m", "sha256:00ff00ff00ff"),
            Instant.parse("2026-11-25T10:15:30.123456Z"),
            Instant.parse("2026-11-25T10:15:31.000001Z"));
    Record record = FeatureTable.toRecord(row);
    assertThat(FeatureTable.fromRecord(record)).isEqualTo(row);
    assertThat(List.of(record.getField(FeatureTable.DOC_ID))).containsExactly("doc-1");
  }
}
