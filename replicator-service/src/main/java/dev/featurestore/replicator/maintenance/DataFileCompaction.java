package dev.featurestore.replicator.maintenance;

import dev.featurestore.iceberg.FeatureTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.RewriteFiles;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericDeleteFilter;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites small data files, and files that deletes apply to, into files near a target size,
 * deletes applied: one {@code replace} commit per group, which the replicator skips and the
 * writers' validation ignores.
 *
 * <p>Why a writer commit racing a compaction never loses or resurrects a row:
 *
 * <ul>
 *   <li>The rewrite names the files it replaces and is validated from the snapshot it read ({@code
 *       validateFromSnapshot}): rows appended meanwhile live in other files and stay; a replaced
 *       file removed meanwhile fails the commit, and the group waits for the next run.
 *   <li>The new file keeps the data sequence number of the newest file it replaces, no later than
 *       the snapshot it read, so an equality delete (a tombstone) committed after that snapshot
 *       still applies to the rows it holds.
 * </ul>
 *
 * <p>A delete file goes with the commit that rewrites the last file it applied to (its rows are
 * then gone from every live file), so an erased id leaves the table's live files in one run;
 * Iceberg itself also drops delete files older than the oldest live data file on every commit.
 *
 * <p>Why the newest row of an id stays the newest: a group is a run of files that are consecutive
 * in commit order within their partition, and its rows are written oldest file first. Readers that
 * order files by data sequence number (the replicator's full resync) therefore still meet every
 * id's rows in commit order. A group is written to one file, so no two files share a sequence
 * number.
 */
final class DataFileCompaction {

  private static final Logger LOG = LoggerFactory.getLogger(DataFileCompaction.class);
  static final String SUMMARY_KEY = "featurestore.maintenance";
  private static final int MAX_SIZE_RATIO = 10;

  private final Table table;
  private final long targetFileBytes;
  private final long smallFileBytes;

  /**
   * @param targetFileBytes a group's input bytes stay under this, so its output does too
   * @param smallFileBytes files under this size are compacted; larger ones only when deletes apply
   *     to them
   */
  DataFileCompaction(Table table, long targetFileBytes, long smallFileBytes) {
    this.table = table;
    this.targetFileBytes = targetFileBytes;
    this.smallFileBytes = smallFileBytes;
  }

  /** One rewrite: consecutive files of one partition, oldest first. */
  record Group(PartitionSpec spec, StructLike partition, List<FileScanTask> tasks) {

    long inputBytes() {
      return bytes(tasks);
    }

    long inputRows() {
      return tasks.stream().mapToLong(task -> task.file().recordCount()).sum();
    }

    long sequenceNumber() {
      return tasks.get(tasks.size() - 1).file().dataSequenceNumber();
    }

    boolean worthRewriting() {
      return tasks.size() > 1 || !tasks.get(0).deletes().isEmpty();
    }
  }

  /**
   * The groups to rewrite, and how many of the snapshot's files each delete file applies to (by
   * location).
   */
  record Plan(List<Group> groups, Map<String, Integer> deleteFileUses) {}

  MaintenanceReport.Compaction run(Snapshot start, Runnable checkLease) {
    Plan plan = plan(start);
    Map<String, Integer> uses = new HashMap<>(plan.deleteFileUses());
    int commits = 0;
    int conflicts = 0;
    int filesBefore = 0;
    long bytesBefore = 0;
    int filesAfter = 0;
    long bytesAfter = 0;
    long rowsDropped = 0;
    int deleteFilesRemoved = 0;
    for (Group group : plan.groups()) {
      checkLease.run();
      DataFile written = write(group);
      Set<DataFile> replaced = new HashSet<>();
      group.tasks().forEach(task -> replaced.add(task.file()));
      Set<DataFile> added = written == null ? Set.of() : Set.of(written);
      Set<DeleteFile> spent = spentBy(group, uses);
      try {
        RewriteFiles rewrite =
            table
                .newRewrite()
                .validateFromSnapshot(start.snapshotId())
                .dataSequenceNumber(group.sequenceNumber())
                .rewriteFiles(replaced, spent, added, Set.of());
        rewrite.set(SUMMARY_KEY, "compaction").commit();
      } catch (ValidationException | CommitFailedException e) {
        LOG.info(
            "Compaction group of {} files left for the next run: {}",
            replaced.size(),
            e.getMessage());
        conflicts++;
        if (written != null) {
          table.io().deleteFile(written.location());
        }
        continue;
      }
      commits++;
      group
          .tasks()
          .forEach(
              task ->
                  task.deletes()
                      .forEach(deletes -> uses.merge(deletes.location(), -1, Integer::sum)));
      deleteFilesRemoved += spent.size();
      filesBefore += replaced.size();
      bytesBefore += group.inputBytes();
      filesAfter += added.size();
      long rowsWritten = written == null ? 0 : written.recordCount();
      bytesAfter += written == null ? 0 : written.fileSizeInBytes();
      rowsDropped += group.inputRows() - rowsWritten;
    }
    return new MaintenanceReport.Compaction(
        commits,
        conflicts,
        filesBefore,
        bytesBefore,
        filesAfter,
        bytesAfter,
        rowsDropped,
        deleteFilesRemoved);
  }

  /**
   * The delete files this group applies for the last time: every file of the snapshot they applied
   * to is in this group or in one committed before it. They go in the same commit; data appended
   * since has a higher sequence number, which they never applied to.
   */
  private static Set<DeleteFile> spentBy(Group group, Map<String, Integer> uses) {
    Map<String, Integer> inGroup = new HashMap<>();
    Map<String, DeleteFile> files = new HashMap<>();
    for (FileScanTask task : group.tasks()) {
      for (DeleteFile deletes : task.deletes()) {
        inGroup.merge(deletes.location(), 1, Integer::sum);
        files.put(deletes.location(), deletes);
      }
    }
    Set<DeleteFile> spent = new HashSet<>();
    inGroup.forEach(
        (location, count) -> {
          if (uses.getOrDefault(location, 0) - count == 0) {
            spent.add(files.get(location));
          }
        });
    return spent;
  }

  /** Groups of the files in {@code start} worth rewriting. */
  Plan plan(Snapshot start) {
    Map<String, List<FileScanTask>> byPartition = new LinkedHashMap<>();
    Map<String, Integer> deleteFileUses = new HashMap<>();
    try (CloseableIterable<FileScanTask> tasks =
        table.newScan().useSnapshot(start.snapshotId()).planFiles()) {
      for (FileScanTask task : tasks) {
        task.deletes()
            .forEach(deletes -> deleteFileUses.merge(deletes.location(), 1, Integer::sum));
        PartitionSpec spec = table.specs().get(task.file().specId());
        byPartition
            .computeIfAbsent(
                spec.specId() + "/" + spec.partitionToPath(task.file().partition()),
                key -> new ArrayList<>())
            .add(task);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot plan the files of snapshot " + start.snapshotId(), e);
    }
    List<Group> groups = new ArrayList<>();
    for (List<FileScanTask> files : byPartition.values()) {
      files.sort(
          Comparator.comparingLong((FileScanTask task) -> task.file().dataSequenceNumber())
              .thenComparing(task -> task.file().location()));
      List<FileScanTask> current = new ArrayList<>();
      long currentBytes = 0;
      for (FileScanTask task : files) {
        boolean candidate =
            task.file().fileSizeInBytes() < smallFileBytes || !task.deletes().isEmpty();
        boolean fits = currentBytes + task.file().fileSizeInBytes() <= targetFileBytes;
        if (!candidate || !fits) {
          addIfWorthIt(groups, current);
          current = new ArrayList<>();
          currentBytes = 0;
        }
        if (candidate) {
          current.add(task);
          currentBytes += task.file().fileSizeInBytes();
        }
      }
      addIfWorthIt(groups, current);
    }
    return new Plan(groups, deleteFileUses);
  }

  private void addIfWorthIt(List<Group> groups, List<FileScanTask> run) {
    List<FileScanTask> tasks = new ArrayList<>(run);
    // tiered: a file already compacted is left alone while the newer files after it are under a
    // tenth of its size,
    // so a busy partition's big file is not rewritten on every run to absorb a few kilobytes (it
    // joins them later)
    while (tasks.size() > 1
        && tasks.get(0).deletes().isEmpty()
        && tasks.get(0).file().fileSizeInBytes()
            > MAX_SIZE_RATIO * bytes(tasks.subList(1, tasks.size()))) {
      tasks.remove(0);
    }
    if (tasks.isEmpty()) {
      return;
    }
    DataFile first = tasks.get(0).file();
    Group group =
        new Group(table.specs().get(first.specId()), first.partition(), List.copyOf(tasks));
    if (group.worthRewriting()) {
      groups.add(group);
    }
  }

  private static long bytes(List<FileScanTask> tasks) {
    return tasks.stream().mapToLong(task -> task.file().fileSizeInBytes()).sum();
  }

  /** The group's live rows, oldest file first, in one new file; null when deletes left no row. */
  private DataFile write(Group group) {
    Schema schema = table.schema();
    OutputFileFactory files =
        OutputFileFactory.builderFor(table, 0, ProcessHandle.current().pid())
            .format(FileFormat.PARQUET)
            .operationId("compaction-" + UUID.randomUUID())
            .build();
    var output = files.newOutputFile(group.spec(), group.partition());
    DataWriter<Record> writer =
        FeatureTable.dataWriters(table, Math.max(1, group.inputRows()))
            .newDataWriter(output, group.spec(), group.partition());
    GenericRecord template = GenericRecord.create(schema);
    try (writer) {
      for (FileScanTask task : group.tasks()) {
        GenericDeleteFilter deletes = new GenericDeleteFilter(table.io(), task, schema, schema);
        Schema required = deletes.requiredSchema();
        try (CloseableIterable<Record> rows =
            deletes.filter(
                Parquet.read(table.io().newInputFile(task.file().location()))
                    .project(required)
                    .createReaderFunc(
                        fileSchema -> GenericParquetReaders.buildReader(required, fileSchema))
                    .build())) {
          for (Record row : rows) {
            Record copy = template.copy();
            for (Types.NestedField field : schema.columns()) {
              copy.setField(field.name(), row.getField(field.name()));
            }
            writer.write(copy);
          }
        }
      }
    } catch (IOException e) {
      table.io().deleteFile(output.encryptingOutputFile().location());
      throw new UncheckedIOException("Cannot compact " + group.tasks().size() + " files", e);
    }
    DataFile written = writer.toDataFile();
    if (written.recordCount() == 0) {
      table.io().deleteFile(written.location());
      return null;
    }
    return written;
  }
}
