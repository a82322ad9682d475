"""Build a training set from the sample exports and print it: python run.py

labels_sample.csv and feature_rows_sample.csv are small extracts of the label table
and of the feature store's offline table for a handful of customers.
"""

import csv

from join import FEATURES, build_training_set


def read(path, numeric=()):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for key in numeric:
            row[key] = float(row[key]) if key in row else None
    return rows


def main():
    labels = read("labels_sample.csv")
    for label in labels:
        label["label"] = int(label["label"])
    features = read("feature_rows_sample.csv", numeric=("value",))
    rows = build_training_set(labels, features)
    print(f"{len(labels)} labels -> {len(rows)} training rows")
    for row in rows:
        cells = [f"{row['entity_id']} {row['event_time']} label={row['label']}"]
        for f in FEATURES:
            cells.append(f"{f}={row[f]} (available {row[f + '_at']})")
        print("  ".join(cells))


if __name__ == "__main__":
    main()
