package dev.featurestore.training;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.iceberg.types.Types;

/** The rows of an entity file, one at a time, whatever its size. */
interface EntityReader extends Iterator<Entity>, Closeable {

  /** The columns other than doc_id and timestamp, as the training set writes them. */
  List<Types.NestedField> passThroughFields();

  /** A reader of {@code file}: Parquet if it starts with Parquet's magic bytes, CSV otherwise. */
  static EntityReader open(Path file) throws IOException {
    byte[] magic = new byte[4];
    int read;
    try (InputStream in = Files.newInputStream(file)) {
      read = in.readNBytes(magic, 0, 4);
    }
    return read == 4 && Arrays.equals(magic, new byte[] {'P', 'A', 'R', '1'})
        ? new ParquetEntities(file)
        : new CsvEntities(file);
  }
}
