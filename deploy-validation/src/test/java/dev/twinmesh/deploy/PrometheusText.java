package dev.twinmesh.deploy;

import java.util.Set;
import java.util.TreeSet;

/** Metric family names in a Prometheus text exposition (histogram and summary series under their family). */
final class PrometheusText {
  private PrometheusText() {}

  static Set<String> families(String exposition) {
    Set<String> names = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        names.add(line.split(" ")[2]);
      } else if (!line.isBlank() && !line.startsWith("#")) {
        int end = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
        names.add(line.substring(0, end));
      }
    }
    return names;
  }

  /** Whether {@code name} (possibly a _bucket, _sum, _count or _total series) is exposed. */
  static boolean exposes(Set<String> families, String name) {
    if (families.contains(name)) {
      return true;
    }
    for (String suffix : new String[] {"_bucket", "_sum", "_count", "_total", "_created"}) {
      if (name.endsWith(suffix) && families.contains(name.substring(0, name.length() - suffix.length()))) {
        return true;
      }
    }
    return false;
  }
}
