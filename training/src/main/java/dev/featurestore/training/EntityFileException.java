package dev.featurestore.training;

/**
 * An entity file that cannot be read as one: the message names the file, the line and the column,
 * so a user can fix it without guessing.
 */
public final class EntityFileException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final long line;

  EntityFileException(String file, long line, String message) {
    super(line > 0 ? file + ":" + line + ": " + message : file + ": " + message);
    this.line = line;
  }

  /** The line the problem is on (1 is the header), or 0 for the file as a whole. */
  public long line() {
    return line;
  }
}
