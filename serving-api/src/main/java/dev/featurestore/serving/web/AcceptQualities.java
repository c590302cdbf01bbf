package dev.featurestore.serving.web;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;

/**
 * Picks the representation of an answer from {@code Accept} as RFC 9110 (section 12.5.1) defines
 * qualities: a type's quality is that of the most specific range matching it, and quality 0 means
 * "not acceptable" (so {@code application/json;q=0, *}{@code /*} excludes JSON). The few distinct
 * headers clients send are remembered, so a lookup does not parse its header again.
 */
public final class AcceptQualities {

  private static final int REMEMBERED = 256;

  private final List<MediaType> producible;
  private final Map<String, Choice> choices = new ConcurrentHashMap<>();

  /** A representation to answer with, or why there is none. */
  public record Choice(MediaType type, String refusal) {}

  /** {@code producible}: the types an answer can have, the preferred first. */
  public AcceptQualities(List<MediaType> producible) {
    this.producible = List.copyOf(producible);
  }

  /**
   * The acceptable type of highest quality (the preferred one among equals); a choice with a
   * refusal (the detail of a 406) when none is acceptable or the header cannot be parsed.
   */
  public Choice choose(String accept) {
    if (accept == null) {
      return new Choice(producible.get(0), null);
    }
    Choice known = choices.get(accept);
    if (known != null) {
      return known;
    }
    Choice choice = parseAndChoose(accept);
    if (choices.size() < REMEMBERED) {
      choices.put(accept, choice);
    }
    return choice;
  }

  private Choice parseAndChoose(String accept) {
    List<MediaType> ranges;
    try {
      ranges = MediaType.parseMediaTypes(accept);
    } catch (InvalidMediaTypeException e) {
      return new Choice(null, "The Accept header cannot be parsed: " + e.getMessage());
    }
    MediaType best = null;
    double bestQuality = 0;
    for (MediaType type : producible) {
      double quality = quality(ranges, type);
      if (quality > bestQuality) {
        best = type;
        bestQuality = quality;
      }
    }
    return best != null
        ? new Choice(best, null)
        : new Choice(null, "None of the types this resource has is acceptable: " + producible);
  }

  /** The quality of {@code type} under {@code ranges}; 0 when no range matches it. */
  static double quality(List<MediaType> ranges, MediaType type) {
    MediaType best = null;
    for (MediaType range : ranges) {
      if (range.includes(type) && (best == null || specificity(range) > specificity(best))) {
        best = range;
      }
    }
    return best == null ? 0 : best.getQualityValue();
  }

  private static int specificity(MediaType range) {
    if (range.isWildcardType()) {
      return 0;
    }
    int parameters = range.getParameters().size() - (range.getParameter("q") == null ? 0 : 1);
    return range.isWildcardSubtype() ? 1 : 2 + parameters;
  }
}
