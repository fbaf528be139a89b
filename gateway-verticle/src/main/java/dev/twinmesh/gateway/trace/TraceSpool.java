package dev.twinmesh.gateway.trace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Traces that could not reach Kafka, kept on local disk until it is back: one file per trace, named by a
 * sequence number so the oldest comes first. Bounded by a record count and a byte size; when either is
 * exceeded the oldest traces are deleted and counted ({@link #droppedCount()}), never lost silently.
 * Files left by an earlier run are picked up again, so a restart during an outage loses nothing.
 *
 * <p>One file per trace keeps every operation atomic (write to a temporary name, then rename) and the
 * bookkeeping trivial; the spool only fills while Kafka is away, so its file count stays modest.
 * Thread-safe: every method is synchronized.
 */
public final class TraceSpool {
  private static final String SUFFIX = ".trace";

  /** A trace waiting on disk: its key and its serialised value. */
  public record Entry(long sequence, String key, String value) {}

  private final Path dir;
  private final java.nio.channels.FileChannel lockFile;
  private final int maxRecords;
  private final long maxBytes;
  private final TreeMap<Long, Long> sizes = new TreeMap<>();
  private final AtomicLong dropped = new AtomicLong();
  private long bytes;
  private long nextSequence;

  public TraceSpool(Path dir, int maxRecords, long maxBytes) {
    if (maxRecords < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("the trace spool needs room for at least one record");
    }
    this.dir = dir;
    this.maxRecords = maxRecords;
    this.maxBytes = maxBytes;
    try {
      Files.createDirectories(dir);
      // Two publishers on one directory would overwrite each other's sequence numbers: refuse the second.
      lockFile = java.nio.channels.FileChannel.open(dir.resolve(".lock"),
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
      if (tryLock(lockFile) == null) {
        lockFile.close();
        throw new IllegalStateException("the trace spool " + dir + " is in use by another process; give each gateway its own");
      }
      try (Stream<Path> files = Files.list(dir)) {
        files.forEach(this::adopt);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the trace spool in " + dir, e);
    }
    nextSequence = sizes.isEmpty() ? 0 : sizes.lastKey() + 1;
  }

  private static java.nio.channels.FileLock tryLock(java.nio.channels.FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return null;
    }
  }

  /** Releases the directory for another publisher; what is spooled stays for the next one. */
  public synchronized void close() {
    try {
      lockFile.close();
    } catch (IOException ignored) {
      // Closing releases the lock; a failure leaves nothing else to do.
    }
  }

  /** Stores a trace; drops the oldest ones when the spool is over its bounds. False when the disk refused it. */
  public synchronized boolean append(String key, String value) {
    byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
    byte[] valueBytes = value.getBytes(StandardCharsets.UTF_8);
    long sequence = nextSequence++;
    Path tmp = dir.resolve(sequence + ".tmp");
    try {
      // key length, newline, key, value: the key may be any text, the value is JSON.
      byte[] header = (keyBytes.length + "\n").getBytes(StandardCharsets.US_ASCII);
      byte[] all = new byte[header.length + keyBytes.length + valueBytes.length];
      System.arraycopy(header, 0, all, 0, header.length);
      System.arraycopy(keyBytes, 0, all, header.length, keyBytes.length);
      System.arraycopy(valueBytes, 0, all, header.length + keyBytes.length, valueBytes.length);
      Files.write(tmp, all);
      Files.move(tmp, file(sequence), StandardCopyOption.ATOMIC_MOVE);
      sizes.put(sequence, (long) all.length);
      bytes += all.length;
    } catch (IOException e) {
      return false;
    }
    while (sizes.size() > maxRecords || bytes > maxBytes) {
      Map.Entry<Long, Long> oldest = sizes.firstEntry();
      remove(oldest.getKey());
      dropped.incrementAndGet();
    }
    return true;
  }

  /** Up to {@code max} of the oldest traces, oldest first, skipping the sequences in {@code exclude}. */
  public synchronized List<Entry> oldest(int max, java.util.Set<Long> exclude) {
    List<Entry> out = new ArrayList<>();
    for (Long sequence : sizes.keySet()) {
      if (out.size() >= max) {
        break;
      }
      if (exclude.contains(sequence)) {
        continue;
      }
      Entry entry = read(sequence);
      if (entry != null) {
        out.add(entry);
      }
    }
    return out;
  }

  /** Forgets a trace that Kafka has acknowledged. */
  public synchronized void remove(long sequence) {
    Long size = sizes.remove(sequence);
    if (size != null) {
      bytes -= size;
      try {
        Files.deleteIfExists(file(sequence));
      } catch (IOException ignored) {
        // A file we cannot delete is read again after a restart; the consumer's upsert absorbs the repeat.
      }
    }
  }

  public synchronized int size() {
    return sizes.size();
  }

  public synchronized long bytes() {
    return bytes;
  }

  /** Traces deleted unsent because the spool was full. */
  public long droppedCount() {
    return dropped.get();
  }

  private Entry read(long sequence) {
    try {
      byte[] all = Files.readAllBytes(file(sequence));
      int newline = 0;
      while (all[newline] != '\n') {
        newline++;
      }
      int keyLength = Integer.parseInt(new String(all, 0, newline, StandardCharsets.US_ASCII));
      String key = new String(all, newline + 1, keyLength, StandardCharsets.UTF_8);
      String value = new String(all, newline + 1 + keyLength, all.length - newline - 1 - keyLength, StandardCharsets.UTF_8);
      return new Entry(sequence, key, value);
    } catch (IOException | RuntimeException e) {
      // A torn or foreign file: it can never be sent, so it must not block the ones behind it.
      remove(sequence);
      dropped.incrementAndGet();
      return null;
    }
  }

  private void adopt(Path path) {
    String name = path.getFileName().toString();
    try {
      if (name.endsWith(".tmp")) {
        Files.deleteIfExists(path);
      } else if (name.endsWith(SUFFIX)) {
        long sequence = Long.parseLong(name.substring(0, name.length() - SUFFIX.length()));
        long size = Files.size(path);
        sizes.put(sequence, size);
        bytes += size;
      }
    } catch (IOException | NumberFormatException ignored) {
      // Not ours: leave it alone.
    }
  }

  private Path file(long sequence) {
    return dir.resolve(String.format("%019d%s", sequence, SUFFIX));
  }
}
