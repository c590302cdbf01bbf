package dev.featurestore.training.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.parquet.ParquetSchemaUtil;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/** Training-set outputs read as any Parquet reader would: the schema comes from each file. */
public final class ParquetFiles {

  private ParquetFiles() {}

  /**
   * The rows of a Parquet file, or of every part file of a directory (Spark's output), in order.
   */
  public static List<Record> read(Path path) {
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(path)) {
      try (Stream<Path> parts = Files.list(path)) {
        parts
            .filter(p -> p.getFileName().toString().endsWith(".parquet"))
            .sorted()
            .forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      files.add(path);
    }
    List<Record> rows = new ArrayList<>();
    for (Path file : files) {
      try (ParquetFileReader reader =
          ParquetFileReader.open(
              HadoopInputFile.fromPath(
                  new org.apache.hadoop.fs.Path(file.toUri()),
                  new org.apache.hadoop.conf.Configuration()))) {
        Schema schema = ParquetSchemaUtil.convert(reader.getFooter().getFileMetaData().getSchema());
        // files without field ids (Spark's) are matched by name
        try (CloseableIterable<Record> records =
            Parquet.read(org.apache.iceberg.Files.localInput(file.toFile()))
                .project(schema)
                .withNameMapping(MappingUtil.create(schema))
                .createReaderFunc(
                    fileSchema -> GenericParquetReaders.buildReader(schema, fileSchema))
                .build()) {
          records.forEach(rows::add);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read " + file, e);
      }
    }
    return rows;
  }
}
