package dev.featurestore.training;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The entry point of the training tools: {@code training-set ...} and {@code dataset ...} (the
 * launcher's {@code ./featurestore training-set} and {@code ./featurestore dataset}).
 */
public final class Commands {

  private Commands() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
    String command = args.length == 0 ? "" : args[0];
    return switch (command) {
      case "training-set" -> TrainingSetCommand.run(rest, out, err);
      case "dataset" -> DatasetCommand.run(rest, out, err);
      default ->
          usage(
              err,
              "featurestore-training",
              "unknown command '" + command + "'",
              TrainingSetCommand.USAGE + "\n" + DatasetCommand.USAGE);
    };
  }

  static int usage(PrintStream err, String command, String problem, String usage) {
    err.println(command + ": " + problem + "\n" + usage);
    return 2;
  }

  static int fail(PrintStream err, String command, String problem) {
    err.println(command + ": " + problem);
    return 1;
  }
}
