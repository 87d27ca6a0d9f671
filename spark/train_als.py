"""Trains Spark MLlib ALS on this project's rating files and saves the factors for
`npm run load -- --factors DIR` (docs/reference.md#factors-trained-elsewhere).

Untested here: Spark cannot run on this project's machines. The loader's import side is tested
with Parquet files in exactly the schema this job writes.

Input: the rating files as the loader reads them (docs/reference.md#rating-files), e.g.
s3a://BUCKET/ratings/*.csv on R2: CSV with the header userId,rating,timestamp,movieId (any order).
Output: OUT/userFactors and OUT/itemFactors, each part-*.parquet plus _SUCCESS, rows
(id int, features array<float>) as ALSModel.userFactors / itemFactors hold them.

Ids (docs/reference.md#factor-ids): ALS needs int ids.
  user: userId as it is (an int in 1..2^31-1).
  item: movieId is a catalog id, platform letter + "s" + show number ("as680", "ns2186");
        item = code * 1000000 + show number, codes a=1 d=2 h=3 n=4 ("as680" -> 1000680).
Like the loader, the job drops exact duplicate rows and keeps each (user, title) pair's latest
rating (greatest timestamp). The loader also rejects malformed rows; this job drops rows whose ids or
rating do not parse, so run it on files the loader accepts (it refuses factors for users or titles
the rating files do not have, and ratings whose users or titles have no factors).

Usage: spark-submit train_als.py INPUT OUT [--rank 64] [--max-iter 15] [--reg 0.1]
--reg is ALS's regParam; the loader assumes 0.1 (the default) when the cron folds new ratings.
"""
import argparse

from pyspark.ml.recommendation import ALS
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

CODES = {"a": 1, "d": 2, "h": 3, "n": 4}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("out")
    parser.add_argument("--rank", type=int, default=64)
    parser.add_argument("--max-iter", type=int, default=15)
    parser.add_argument("--reg", type=float, default=0.1)
    args = parser.parse_args()

    spark = SparkSession.builder.appName("train_als").getOrCreate()
    raw = spark.read.option("header", True).csv(args.input)  # every column a string: parsed below

    show = F.regexp_extract("movieId", r"^([adhn])s([1-9][0-9]{0,5})$", 2)
    letter = F.regexp_extract("movieId", r"^([adhn])s([1-9][0-9]{0,5})$", 1)
    code = F.coalesce(*[F.when(letter == k, F.lit(v)) for k, v in CODES.items()])
    rows = (
        raw.select(
            F.col("userId").cast("int").alias("user_id"),
            (code * F.lit(1000000) + show.cast("int")).cast("int").alias("item_id"),
            F.col("rating").cast("float").alias("rating"),
            F.col("timestamp").cast("long").alias("ts"),
        )
        .dropna()
        .dropDuplicates()
    )
    # The latest rating of each pair; at equal timestamps the loader takes the later row in file
    # order, which a distributed read does not keep: the higher rating stands in for it here.
    latest = Window.partitionBy("user_id", "item_id").orderBy(F.desc("ts"), F.desc("rating"))
    pairs = rows.withColumn("n", F.row_number().over(latest)).where(F.col("n") == 1).drop("n", "ts")

    als = ALS(
        rank=args.rank,
        maxIter=args.max_iter,
        regParam=args.reg,
        userCol="user_id",
        itemCol="item_id",
        ratingCol="rating",
        coldStartStrategy="drop",
        seed=42,
    )
    model = als.fit(pairs)
    model.userFactors.write.mode("errorifexists").parquet(f"{args.out}/userFactors")
    model.itemFactors.write.mode("errorifexists").parquet(f"{args.out}/itemFactors")
    spark.stop()


if __name__ == "__main__":
    main()
