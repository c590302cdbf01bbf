package dev.featurestore.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.featurestore.iceberg.testing.FeatureTables;
import dev.featurestore.testing.FeatureRows;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.NotFoundException;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.SeekableInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFileIOTest {

  @TempDir Path dir;
  private final LocalFileIO io = new LocalFileIO();

  @Test
  void writesCreatingParentsThenReadsWithSeeksAndReportsPositions() throws IOException {
    byte[] big = new byte[200_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    String location = dir.resolve("a/b/file.bin").toString();
    try (PositionOutputStream out = io.newOutputFile(location).create()) {
      out.write(7);
      out.write(big, 0, 10);
      assertThat(out.getPos()).isEqualTo(11);
      out.write(big);
      assertThat(out.getPos()).isEqualTo(11 + big.length);
    }
    assertThat(io.newInputFile(location).getLength()).isEqualTo(11 + big.length);
    try (SeekableInputStream in = io.newInputFile(location).newStream()) {
      assertThat(in.read()).isEqualTo(7);
      in.seek(11 + 150_000);
      assertThat(in.getPos()).isEqualTo(11 + 150_000);
      byte[] tail = in.readAllBytes();
      assertThat(tail).hasSize(50_000).startsWith(big[150_000], big[150_001]);
      assertThat(in.read()).isEqualTo(-1);
    }
  }

  @Test
  void createRefusesAnExistingFileAndOverwriteReplacesIt() throws IOException {
    OutputFile file = io.newOutputFile("file:" + dir.resolve("x.json"));
    write(file.create(), "first, longer");
    assertThatThrownBy(file::create)
        .isInstanceOf(AlreadyExistsException.class)
        .hasMessageContaining("x.json");
    write(file.createOrOverwrite(), "second");
    assertThat(Files.readString(dir.resolve("x.json"))).isEqualTo("second");
    assertThat(file.toInputFile().exists()).isTrue();
    io.deleteFile(file.location());
    assertThat(file.toInputFile().exists()).isFalse();
    io.deleteFile(file.location());
  }

  @Test
  void missingFilesAndRelativeLocationsAreClearErrors() {
    String missing = dir.resolve("missing").toString();
    assertThatThrownBy(() -> io.newInputFile(missing).newStream())
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining(missing);
    assertThatThrownBy(() -> io.newInputFile(missing).getLength())
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> io.newInputFile("relative/path"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("relative/path");
  }

  @Test
  void theDefaultLocalCatalogUsesItAndItsTablesWriteNoChecksumFiles() throws IOException {
    CatalogSettings settings = CatalogSettings.defaults();
    assertThat(settings.resolvedProperties(dir))
        .containsEntry(CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName());
    Table table = settings.featureTable(settings.load(dir));
    assertThat(table.io()).isInstanceOf(LocalFileIO.class);
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, t0), FeatureRows.row("b", 2, t0)));
    FeatureTables.eraseAndAppend(table, List.of("a"), List.of(FeatureRows.row("c", 3, t0)));

    List<String> ids = new ArrayList<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      records.forEach(record -> ids.add((String) record.getField(FeatureTable.DOC_ID)));
    }
    assertThat(ids).containsExactlyInAnyOrder("b", "c");
    try (Stream<Path> files = Files.walk(dir.resolve("warehouse"))) {
      assertThat(files.map(Path::toString).filter(name -> name.endsWith(".crc"))).isEmpty();
    }

    CatalogSettings custom =
        new CatalogSettings(
            null,
            null,
            java.util.Map.of(
                CatalogProperties.FILE_IO_IMPL, "org.apache.iceberg.hadoop.HadoopFileIO"));
    assertThat(custom.resolvedProperties(dir))
        .containsEntry(CatalogProperties.FILE_IO_IMPL, "org.apache.iceberg.hadoop.HadoopFileIO");
    CatalogSettings objectStore =
        new CatalogSettings(
            null, null, java.util.Map.of(CatalogProperties.WAREHOUSE_LOCATION, "s3://bucket/wh"));
    assertThat(objectStore.resolvedProperties(dir))
        .doesNotContainKey(CatalogProperties.FILE_IO_IMPL);
  }

  private static void write(PositionOutputStream out, String text) throws IOException {
    try (out) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
