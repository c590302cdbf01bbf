package dev.featurestore.replicator.sync;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.FeatureVersion;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.iceberg.FeatureTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataOperations;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotChanges;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericDeleteFilter;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DeleteSchemaUtil;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.parquet.ParquetValueReader;
import org.apache.iceberg.util.SnapshotUtil;
import org.apache.parquet.schema.MessageType;

/**
 * Turns the table's history between the checkpoint and the current snapshot into online-store
 * changes, in commit order, so that applying them in order leaves the newest state of every doc id.
 *
 * <ul>
 *   <li>Incremental: for every snapshot after the checkpoint, oldest first, the doc ids its
 *       equality-delete files erase (tombstones), then the rows its data files add, then, for ids
 *       that lost rows to position deletes or copy-on-write removals, their newest surviving row
 *       (or their erasure). {@code replace} snapshots (compaction, rewrites) change no row and are
 *       skipped.
 *   <li>Full resync, when there is no checkpoint or it fell off the table's history (expired
 *       snapshots): every live row of the current snapshot, deletes applied, oldest data file
 *       first.
 * </ul>
 */
public final class TableChangeReader {

  /** One step of a plan, applied in order. */
  public sealed interface Change permits AddedRows, ErasedIds, LiveRows, ResolvedIds {}

  /** Rows a data file added, at the version of the snapshot that added it. */
  public record AddedRows(DataFile file, FeatureVersion version) implements Change {}

  /** Doc ids an equality-delete file erased, at the version of the snapshot that added it. */
  public record ErasedIds(DeleteFile file, FeatureVersion version) implements Change {}

  /**
   * Doc ids that lost rows by position deletes or copy-on-write (maintenance jobs, GDPR erasure):
   * each gets its newest surviving row as of {@code at}, or is erased, at the version of that
   * snapshot.
   */
  public record ResolvedIds(Set<String> docIds, long at, FeatureVersion version)
      implements Change {}

  /** The live rows of a scan task of a full resync (deletes applied). */
  public record LiveRows(FileScanTask task, FeatureVersion version) implements Change {}

  /** What to apply to reach {@code target}. */
  public record Plan(boolean fullResync, Snapshot target, List<Change> changes) {}

  private final Table table;

  public TableChangeReader(Table table) {
    this.table = table;
  }

  /** Plans the changes after {@code fromExclusive} (null: a full resync) up to {@code to}. */
  public Plan plan(Long fromExclusive, Snapshot to) {
    if (fromExclusive != null
        && SnapshotUtil.isParentAncestorOf(table, to.snapshotId(), fromExclusive)) {
      return new Plan(false, to, incremental(fromExclusive, to));
    }
    return new Plan(true, to, fullScan(to));
  }

  private List<Change> incremental(long fromExclusive, Snapshot to) {
    List<Snapshot> snapshots = new ArrayList<>();
    SnapshotUtil.ancestorsBetween(table, to.snapshotId(), fromExclusive).forEach(snapshots::add);
    snapshots.sort(Comparator.comparingLong(Snapshot::sequenceNumber));
    List<Change> changes = new ArrayList<>();
    for (Snapshot snapshot : snapshots) {
      if (DataOperations.REPLACE.equals(snapshot.operation())) {
        continue;
      }
      FeatureVersion version = FeatureVersion.of(snapshot.snapshotId(), snapshot.sequenceNumber());
      SnapshotChanges added = SnapshotChanges.builderFor(table).snapshot(snapshot).build();
      Set<String> affected = new LinkedHashSet<>();
      for (DeleteFile deletes : added.addedDeleteFiles()) {
        if (deletes.content() == FileContent.EQUALITY_DELETES) {
          changes.add(new ErasedIds(deletes, version));
        } else {
          affected.addAll(idsAtDeletedPositions(deletes));
        }
      }
      for (DataFile removed : added.removedDataFiles()) {
        affected.addAll(idsIn(removed.location(), null));
      }
      for (DataFile file : added.addedDataFiles()) {
        changes.add(new AddedRows(file, version));
      }
      if (!affected.isEmpty()) {
        changes.add(new ResolvedIds(affected, snapshot.snapshotId(), version));
      }
    }
    return changes;
  }

  private List<Change> fullScan(Snapshot to) {
    List<FileScanTask> tasks = new ArrayList<>();
    try (CloseableIterable<FileScanTask> planned =
        table.newScan().useSnapshot(to.snapshotId()).planFiles()) {
      planned.forEach(tasks::add);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot plan the scan of snapshot " + to.snapshotId(), e);
    }
    tasks.sort(
        Comparator.comparingLong((FileScanTask task) -> task.file().dataSequenceNumber())
            .thenComparingLong(FileScanTask::start));
    Map<Long, Long> snapshotIdBySequenceNumber = new HashMap<>();
    table
        .snapshots()
        .forEach(
            snapshot ->
                snapshotIdBySequenceNumber.put(snapshot.sequenceNumber(), snapshot.snapshotId()));
    List<Change> changes = new ArrayList<>(tasks.size());
    for (FileScanTask task : tasks) {
      long sequenceNumber = task.file().dataSequenceNumber();
      // a file whose snapshot expired keeps its sequence number; its snapshot id is then unknown
      // (-1)
      long snapshotId = snapshotIdBySequenceNumber.getOrDefault(sequenceNumber, -1L);
      changes.add(new LiveRows(task, FeatureVersion.of(snapshotId, sequenceNumber)));
    }
    return changes;
  }

  /**
   * Reads one change: its rows go to {@code rows}, its erased ids (with their version) to {@code
   * erasures}.
   */
  public void read(
      Change change, Consumer<OnlineFeature> rows, BiConsumer<String, FeatureVersion> erasures) {
    RowSink sink = new RowSink(rows, erasures);
    if (change instanceof AddedRows added) {
      readRows(
          added.file().location(), 0, added.file().fileSizeInBytes(), null, added.version(), sink);
    } else if (change instanceof LiveRows live) {
      readLiveRows(live, sink);
    } else if (change instanceof ErasedIds erased) {
      readErasedIds(erased.file(), docId -> erasures.accept(docId, erased.version()));
    } else if (change instanceof ResolvedIds resolved) {
      resolve(resolved, sink);
    }
  }

  /**
   * Where the rows read go: embeddings to the online store, deletions (tombstones kept as history)
   * as erasures of their id, both at the version they were read at.
   */
  private record RowSink(
      Consumer<OnlineFeature> rows, BiConsumer<String, FeatureVersion> erasures) {
    void accept(FeatureRow row, FeatureVersion version) {
      if (row.deleted()) {
        erasures.accept(row.docId(), version);
      } else {
        rows.accept(OnlineFeature.of(row, version));
      }
    }
  }

  /**
   * Newest surviving row of each id as of the snapshot (deletes applied), at the snapshot's
   * version; else erased.
   */
  private void resolve(ResolvedIds resolved, RowSink sink) {
    List<String> ids = new ArrayList<>(resolved.docIds());
    for (int start = 0; start < ids.size(); start += 1000) {
      List<String> chunk = ids.subList(start, Math.min(ids.size(), start + 1000));
      Map<String, FeatureRow> newest = new HashMap<>();
      try (CloseableIterable<Record> survivors =
          IcebergGenerics.read(table)
              .useSnapshot(resolved.at())
              .where(Expressions.in(FeatureTable.DOC_ID, chunk.toArray()))
              .build()) {
        for (Record record : survivors) {
          FeatureRow row = FeatureTable.fromRecord(record);
          newest.merge(
              row.docId(),
              row,
              (old, candidate) ->
                  candidate.processedAt().isBefore(old.processedAt()) ? old : candidate);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot read surviving rows as of snapshot " + resolved.at(), e);
      }
      for (String id : chunk) {
        FeatureRow row = newest.get(id);
        if (row == null) {
          sink.erasures().accept(id, resolved.version());
        } else {
          sink.accept(row, resolved.version());
        }
      }
    }
  }

  /** Doc ids of the rows a position-delete file deletes, read from the data files it points at. */
  private Set<String> idsAtDeletedPositions(DeleteFile deletes) {
    Map<String, Set<Long>> positions = new HashMap<>();
    Schema pathPos = DeleteSchemaUtil.pathPosSchema();
    try (CloseableIterable<Record> entries =
        Parquet.read(table.io().newInputFile(deletes.location()))
            .project(pathPos)
            .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(pathPos, fileSchema))
            .build()) {
      for (Record entry : entries) {
        positions
            .computeIfAbsent(entry.get(0, CharSequence.class).toString(), path -> new HashSet<>())
            .add(entry.get(1, Long.class));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + deletes.location(), e);
    }
    Set<String> ids = new LinkedHashSet<>();
    positions.forEach((path, deleted) -> ids.addAll(idsIn(path, deleted)));
    return ids;
  }

  /** Doc ids in a data file, all of them or only those at {@code positions}. */
  private Set<String> idsIn(String location, Set<Long> positions) {
    Schema docIdOnly = table.schema().select(FeatureTable.DOC_ID);
    Set<String> ids = new LinkedHashSet<>();
    try (CloseableIterable<Record> records =
        Parquet.read(table.io().newInputFile(location))
            .project(docIdOnly)
            .createReaderFunc(
                fileSchema -> GenericParquetReaders.buildReader(docIdOnly, fileSchema))
            .build()) {
      long position = 0;
      for (Record record : records) {
        if (positions == null || positions.contains(position)) {
          ids.add((String) record.getField(FeatureTable.DOC_ID));
        }
        position++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + location, e);
    }
    return ids;
  }

  private void readLiveRows(LiveRows live, RowSink sink) {
    FileScanTask task = live.task();
    readRows(
        task.file().location(),
        task.start(),
        task.length(),
        task.deletes().isEmpty() ? null : task,
        live.version(),
        sink);
  }

  /**
   * Reads the rows of a split of a data file, each at {@code version}, minus those deleted by the
   * delete files of {@code deletesOf} (null: no deletes). Rows decode straight into FeatureRows
   * (see {@link FeatureRowReaders}); only an equality delete on a column that is not part of a row
   * would take Iceberg's generic records.
   */
  private void readRows(
      String location,
      long start,
      long length,
      FileScanTask deletesOf,
      FeatureVersion version,
      RowSink sink) {
    Schema projection = FeatureRowReaders.projection(table.schema());
    InputFile input = table.io().newInputFile(location);
    if (deletesOf == null) {
      emit(
          location,
          FeatureRowReaders.rows(input, projection, start, length),
          (FeatureRow row) -> row,
          version,
          sink);
      return;
    }
    FeatureRowReaders.LiveRowDeleteFilter deletes =
        new FeatureRowReaders.LiveRowDeleteFilter(
            table.io(), deletesOf, table.schema(), projection);
    Schema required = deletes.requiredSchema();
    if (FeatureRowReaders.canRead(required)) {
      emit(
          location,
          FeatureRowReaders.liveRows(input, deletes, start, length),
          (FeatureRow row) -> row,
          version,
          sink);
    } else {
      GenericDeleteFilter generic =
          new GenericDeleteFilter(table.io(), deletesOf, table.schema(), projection);
      Schema columns = generic.requiredSchema();
      emit(
          location,
          generic.filter(
              read(
                  input,
                  columns,
                  start,
                  length,
                  file -> GenericParquetReaders.buildReader(columns, file))),
          FeatureTable::fromRecord,
          version,
          sink);
    }
  }

  private static <T> CloseableIterable<T> read(
      InputFile input,
      Schema schema,
      long start,
      long length,
      Function<MessageType, ParquetValueReader<?>> readers) {
    return Parquet.read(input)
        .project(schema)
        .split(start, length)
        .createReaderFunc(readers)
        .build();
  }

  private static <T> void emit(
      String location,
      CloseableIterable<T> values,
      Function<T, FeatureRow> toRow,
      FeatureVersion version,
      RowSink sink) {
    try (values) {
      for (T value : values) {
        sink.accept(toRow.apply(value), version);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + location, e);
    }
  }

  private void readErasedIds(DeleteFile file, Consumer<String> sink) {
    InputFile input = table.io().newInputFile(file.location());
    try (CloseableIterable<Record> ids =
        Parquet.read(input)
            .project(FeatureTable.DOC_ID_DELETE_SCHEMA)
            .createReaderFunc(
                fileSchema ->
                    GenericParquetReaders.buildReader(
                        FeatureTable.DOC_ID_DELETE_SCHEMA, fileSchema))
            .build()) {
      for (Record id : ids) {
        sink.accept((String) id.getField(FeatureTable.DOC_ID));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file.location(), e);
    }
  }
}
