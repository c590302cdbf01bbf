package dev.featurestore.replicator.maintenance;

import dev.featurestore.api.DocIds;
import dev.featurestore.iceberg.FeatureTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;

/**
 * Where a doc id still exists in the offline store ({@code ./featurestore erase --verify}): rows
 * the current snapshot reads, and every data or delete file that any kept snapshot (tags and
 * branches included) references and that holds the id, read from the files themselves (manifest
 * column bounds only narrow which files are read).
 */
public final class ErasureCheck {

  private final Table table;

  public ErasureCheck(Table table) {
    this.table = table;
  }

  /**
   * @param docId the id looked for
   * @param liveRows rows of the id the current snapshot reads (deletes applied)
   * @param dataFiles data files that hold a row of the id, with the snapshots that still reference
   *     each
   * @param deleteFiles delete files (tombstones) that name the id
   */
  public record Report(
      String docId, long liveRows, Map<String, List<Long>> dataFiles, List<String> deleteFiles) {

    /**
     * Erased for good: no live row and no kept file holds a row of it (tombstones may still name
     * it).
     */
    public boolean erased() {
      return liveRows == 0 && dataFiles.isEmpty();
    }

    public String toText() {
      StringBuilder text = new StringBuilder();
      text.append(
          String.format(
              Locale.ROOT,
              "%s: %s%n",
              docId,
              erased()
                  ? "erased: no live row, no kept data file holds it"
                  : liveRows > 0
                      ? "LIVE: the current snapshot reads " + liveRows + " row(s)"
                      : "not live, but kept data files still hold it (time travel reads it)"));
      dataFiles.forEach(
          (file, snapshots) ->
              text.append(
                  String.format(
                      Locale.ROOT,
                      "  data file %s, referenced by %d snapshot(s) %s%n",
                      file,
                      snapshots.size(),
                      snapshots)));
      deleteFiles.forEach(
          file -> text.append(String.format(Locale.ROOT, "  tombstone file %s names it%n", file)));
      if (!erased()) {
        text.append(
            String.format(
                Locale.ROOT,
                "  gone after: a tombstone (if live), the next maintenance run, and the expiry of the snapshots listed (snapshot-retention; tags hold theirs until dropped)%n"));
      }
      return text.toString();
    }
  }

  public Report check(String docId) {
    DocIds.checkValid(docId);
    table.refresh();
    Expression isId = Expressions.equal(FeatureTable.DOC_ID, docId);
    long live = 0;
    if (table.currentSnapshot() != null) {
      try (CloseableIterable<Record> rows =
          IcebergGenerics.read(table).where(isId).select(FeatureTable.DOC_ID).build()) {
        for (Record row : rows) {
          if (docId.equals(row.getField(FeatureTable.DOC_ID))) {
            live++;
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    Map<String, Set<Long>> candidates = new HashMap<>();
    Map<String, Set<String>> manifestCandidates = new HashMap<>();
    Set<String> deleteCandidates = new TreeSet<>();
    for (Snapshot snapshot : table.snapshots()) {
      for (ManifestFile manifest : snapshot.dataManifests(table.io())) {
        Set<String> files =
            manifestCandidates.computeIfAbsent(
                manifest.path(), path -> dataFilesMaybeHolding(manifest, isId));
        files.forEach(
            file ->
                candidates
                    .computeIfAbsent(file, key -> new TreeSet<>())
                    .add(snapshot.snapshotId()));
      }
      for (ManifestFile manifest : snapshot.deleteManifests(table.io())) {
        if (manifestCandidates.putIfAbsent(manifest.path(), Set.of()) == null) {
          deleteCandidates.addAll(deleteFilesMaybeNaming(manifest, isId));
        }
      }
    }
    Map<String, List<Long>> holding = new java.util.TreeMap<>();
    candidates.forEach(
        (file, snapshots) -> {
          if (holds(file, docId)) {
            holding.put(file, new ArrayList<>(snapshots));
          }
        });
    List<String> naming = deleteCandidates.stream().filter(file -> holds(file, docId)).toList();
    return new Report(docId, live, holding, naming);
  }

  private Set<String> dataFilesMaybeHolding(ManifestFile manifest, Expression isId) {
    return locations(
        manifest, () -> ManifestFiles.read(manifest, table.io(), table.specs()).filterRows(isId));
  }

  private Set<String> deleteFilesMaybeNaming(ManifestFile manifest, Expression isId) {
    return locations(
        manifest,
        () ->
            ManifestFiles.readDeleteManifest(manifest, table.io(), table.specs()).filterRows(isId));
  }

  /** The locations of the files a manifest lists that its column bounds do not rule out. */
  private static Set<String> locations(
      ManifestFile manifest, Supplier<ManifestReader<? extends ContentFile<?>>> open) {
    Set<String> files = new TreeSet<>();
    try (ManifestReader<? extends ContentFile<?>> reader = open.get()) {
      reader.forEach(file -> files.add(file.location()));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + manifest.path(), e);
    }
    return files;
  }

  /**
   * Whether a Parquet file of the table (data or equality delete) has a row whose doc id is {@code
   * docId}.
   */
  private boolean holds(String location, String docId) {
    Schema docIdOnly = FeatureTable.SCHEMA.select(FeatureTable.DOC_ID);
    try (CloseableIterable<Record> rows =
        Parquet.read(table.io().newInputFile(location))
            .project(docIdOnly)
            .filter(Expressions.equal(FeatureTable.DOC_ID, docId))
            .createReaderFunc(schema -> GenericParquetReaders.buildReader(docIdOnly, schema))
            .build()) {
      for (Record row : rows) {
        if (docId.equals(row.getField(FeatureTable.DOC_ID))) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + location, e);
    }
  }
}
