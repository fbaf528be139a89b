package dev.twinmesh.gateway;

import java.util.HashMap;
import java.util.Map;

/**
 * Bounds requests in flight, for the whole gateway and per API key, so one client cannot take every
 * slot. Used from the gateway's event loop only.
 */
final class Admission {
  private final int maxInFlight;
  private final int maxPerKey;
  private final Map<String, Integer> perKey = new HashMap<>();
  private int inFlight;

  Admission(int maxInFlight, int maxPerKey) {
    this.maxInFlight = maxInFlight;
    this.maxPerKey = maxPerKey;
  }

  /** Takes a slot for {@code key} (null when unauthenticated); false when a bound is reached. */
  boolean tryAcquire(String key) {
    String k = key == null ? "" : key;
    int held = perKey.getOrDefault(k, 0);
    if (inFlight >= maxInFlight || held >= maxPerKey) {
      return false;
    }
    inFlight++;
    perKey.put(k, held + 1);
    return true;
  }

  void release(String key) {
    String k = key == null ? "" : key;
    inFlight--;
    perKey.computeIfPresent(k, (ignored, held) -> held <= 1 ? null : held - 1);
  }

  int inFlight() {
    return inFlight;
  }
}
