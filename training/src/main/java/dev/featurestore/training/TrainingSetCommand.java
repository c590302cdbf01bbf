package dev.featurestore.training;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.iceberg.exceptions.NoSuchTableException;

/**
 * {@code training-set --entities FILE --out FILE.parquet [--dataset NAME]}: the training set of an
 * entity file, from the store's catalog. Exit codes: 0 written, 1 bad input or a failure (one line
 * on stderr, nothing written), 2 bad usage.
 */
final class TrainingSetCommand {

  static final String USAGE =
      "usage: training-set --entities FILE.csv --out FILE.parquet [--dataset NAME] "
          + StoreOptions.USAGE;

  private TrainingSetCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err) {
    Map<String, String> options = new LinkedHashMap<>();
    try (StoreOptions store = new StoreOptions()) {
      Deque<String> rest = new ArrayDeque<>(args);
      while (!rest.isEmpty()) {
        String flag = rest.poll();
        if (rest.isEmpty()) {
          return Commands.usage(err, "training-set", flag + " needs a value", USAGE);
        }
        String value = rest.poll();
        if (List.of("--entities", "--out", "--dataset").contains(flag)) {
          options.put(flag, value);
        } else if (!store.accept(flag, value)) {
          return Commands.usage(err, "training-set", "unknown option " + flag, USAGE);
        }
      }
      if (!options.containsKey("--entities") || !options.containsKey("--out")) {
        return Commands.usage(err, "training-set", "--entities and --out are required", USAGE);
      }
      Path entities = Path.of(options.get("--entities"));
      Path output = Path.of(options.get("--out"));
      if (!Files.isRegularFile(entities)) {
        return Commands.fail(err, "training-set", entities + ": no such file");
      }
      if (!Files.isDirectory(output.toAbsolutePath().getParent())) {
        return Commands.fail(err, "training-set", output + ": its directory does not exist");
      }
      TrainingSet trainingSet = TrainingSet.of(store.loadTable());
      if (options.containsKey("--dataset")) {
        trainingSet = trainingSet.dataset(options.get("--dataset"));
      }
      Progress progress = new Progress(err, System.console() != null);
      TrainingSet.Summary summary = trainingSet.progress(progress::update).write(entities, output);
      progress.finish();
      out.printf(
          Locale.ROOT,
          "wrote %,d rows (%,d found, %,d not) to %s in %.1f s, from snapshot %s (%,d versions)%n",
          summary.rows(),
          summary.found(),
          summary.rows() - summary.found(),
          output,
          summary.millis() / 1000.0,
          summary.snapshotId(),
          summary.tableVersions());
      return 0;
    } catch (EntityFileException | IllegalArgumentException | NoSuchTableException e) {
      return Commands.fail(err, "training-set", e.getMessage());
    } catch (RuntimeException e) {
      return Commands.fail(err, "training-set", "failed: " + e);
    }
  }

  /** A progress line on a terminal, rewritten in place; nothing when output is redirected. */
  private static final class Progress {
    private final PrintStream err;
    private final boolean terminal;
    private final long started = System.nanoTime();
    private boolean shown;

    Progress(PrintStream err, boolean terminal) {
      this.err = err;
      this.terminal = terminal;
    }

    void update(long rows) {
      if (terminal) {
        double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        err.printf(Locale.ROOT, "\rtraining-set: %,d rows (%,.0f rows/s)", rows, rows / seconds);
        shown = true;
      }
    }

    void finish() {
      if (shown) {
        err.println();
      }
    }
  }
}
