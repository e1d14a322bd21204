#!/usr/bin/env python3
"""The original Python design's storage statistics, for scripts/bench's stats section.

That design's StorageManager.get_storage_stats walked the tree on every call:
per category `Path(base, category).rglob("*")`, `is_file()`, `stat().st_size`, summed; quotas
checked; disk usage last. Replicated here without its package (psutil.disk_usage ->
shutil.disk_usage, which is the same statvfs call).

One deliberate difference: that design joined the retention *key* to the base path, so
`contact_sheets` looks for a folder that does not exist (the folder is `contact-sheets`) and
that category is silently skipped. Here each key maps to its real folder, so the walk covers
the same files `storekeeper stats` and `du` count; otherwise it would look ~5 % faster
for a wrong answer.

    python_design_stats.py BASE   prints "files bytes" over all categories, then one line per category
"""
import shutil
import sys
from pathlib import Path

RETENTION = {  # that design's StorageConfig defaults
    "temp": 86400,
    "uploads": 604800,
    "contact_sheets": 2592000,
    "frames": 2592000,
    "outputs": -1,
}
QUOTAS = {
    "uploads": 100 * 1024**3,
    "frames": 50 * 1024**3,
    "contact_sheets": 20 * 1024**3,
    "outputs": 100 * 1024**3,
    "temp": 20 * 1024**3,
}
FOLDER = {"contact_sheets": "contact-sheets"}


def get_storage_stats(base_path):
    total_bytes = 0
    file_counts = {}
    quota_status = {}
    for category in RETENTION.keys():
        category_path = base_path / FOLDER.get(category, category)
        if category_path.exists():
            category_bytes = 0
            file_count = 0
            for file_path in category_path.rglob("*"):
                if file_path.is_file():
                    size = file_path.stat().st_size
                    category_bytes += size
                    file_count += 1
            total_bytes += category_bytes
            file_counts[category] = (file_count, category_bytes)
            quota = QUOTAS.get(category, float("inf"))
            quota_status[category] = {
                "used_bytes": category_bytes,
                "quota_bytes": quota,
                "percent_used": (category_bytes / quota * 100) if quota > 0 else 0,
            }
    disk_usage = shutil.disk_usage(str(base_path))
    return total_bytes, file_counts, quota_status, disk_usage.free


def main():
    total_bytes, file_counts, _, _ = get_storage_stats(Path(sys.argv[1]))
    print(sum(n for n, _ in file_counts.values()), total_bytes)
    for category, (n, b) in file_counts.items():
        print(category, n, b)


if __name__ == "__main__":
    main()
