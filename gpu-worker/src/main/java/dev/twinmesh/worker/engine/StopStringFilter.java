package dev.twinmesh.worker.engine;

import java.util.List;

/**
 * Holds back text that might be the start of a stop string, so a stop string never leaks into the
 * stream: text is released only once no stop string can begin in it.
 */
final class StopStringFilter {
  private final List<String> stops;
  private final StringBuilder held = new StringBuilder();
  private boolean stopped;

  StopStringFilter(List<String> stops) {
    this.stops = stops;
  }

  /** Adds decoded text; returns what may be sent now. After a stop string is seen, returns only the text before it. */
  String accept(String text) {
    if (stopped) {
      return "";
    }
    held.append(text);
    int cut = firstStop();
    if (cut >= 0) {
      stopped = true;
      String before = held.substring(0, cut);
      held.setLength(0);
      return before;
    }
    int keep = longestStopPrefixSuffix();
    String release = held.substring(0, held.length() - keep);
    held.delete(0, held.length() - keep);
    return release;
  }

  boolean stopped() {
    return stopped;
  }

  /** The generation ended for another reason: what was held back is plain text after all. */
  String flush() {
    String rest = held.toString();
    held.setLength(0);
    return rest;
  }

  private int firstStop() {
    int first = -1;
    for (String stop : stops) {
      int at = held.indexOf(stop);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    return first;
  }

  /** Length of the longest end of the held text that is a proper start of some stop string. */
  private int longestStopPrefixSuffix() {
    int best = 0;
    String text = held.toString();
    for (String stop : stops) {
      for (int len = Math.min(stop.length() - 1, held.length()); len > best; len--) {
        if (text.regionMatches(text.length() - len, stop, 0, len)) {
          best = len;
          break;
        }
      }
    }
    return best;
  }
}
