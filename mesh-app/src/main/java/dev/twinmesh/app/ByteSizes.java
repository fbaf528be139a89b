package dev.twinmesh.app;

import java.util.Locale;

/** Reads sizes such as {@code 512MiB}, {@code 4GiB}, {@code 1g} or a plain byte count; {@code auto} is 0. */
final class ByteSizes {
  private ByteSizes() {}

  static long parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("auto") || t.isEmpty()) {
      return 0;
    }
    long unit = 1;
    String digits = t;
    for (String[] suffix : new String[][] {{"gib", "30"}, {"gb", "30"}, {"g", "30"}, {"mib", "20"}, {"mb", "20"},
        {"m", "20"}, {"kib", "10"}, {"kb", "10"}, {"k", "10"}, {"b", "0"}}) {
      if (t.endsWith(suffix[0])) {
        unit = 1L << Integer.parseInt(suffix[1]);
        digits = t.substring(0, t.length() - suffix[0].length()).trim();
        break;
      }
    }
    try {
      return Math.round(Double.parseDouble(digits) * unit);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a size: '" + text + "' (try 512MiB, 4GiB or auto)");
    }
  }
}
