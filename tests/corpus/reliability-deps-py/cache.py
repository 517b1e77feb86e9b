"""Cache, queue and cloud clients with and without a fallback path."""

import json
import logging

import boto3
import pika
import redis
from kafka import KafkaProducer

from .db import load_profile
from .tasks import send_welcome_email

log = logging.getLogger(__name__)

cache = redis.Redis(host="cache", socket_timeout=0.5)
s3 = boto3.client("s3")
producer = KafkaProducer(bootstrap_servers="kafka:9092")


def get_profile(user_id):
    try:
        raw = cache.get(f"profile:{user_id}")  # expect: reliability.dependency-fallback
    except redis.RedisError:
        log.warning("cache unavailable, reading the database")
        return load_profile(user_id)
    return json.loads(raw) if raw else load_profile(user_id)


def put_profile(user_id, profile):
    cache.set(f"profile:{user_id}", json.dumps(profile), ex=300)  # expect: reliability.dependency-no-fallback
    cache.set(f"profile-v2:{user_id}", json.dumps(profile), ex=300)


def forget_profile(user_id):
    try:
        cache.delete(f"profile:{user_id}")  # expect: reliability.dependency-no-fallback
    except redis.RedisError:
        log.exception("could not evict")
        raise


def archive(key, body):
    s3.put_object(Bucket="archive", Key=key, Body=body)  # expect: reliability.dependency-no-fallback


def publish(event):
    try:
        producer.send("events", json.dumps(event).encode())  # expect: reliability.dependency-fallback
    except Exception:
        spool_locally(event)


def spool_locally(event):
    with open("/var/spool/events.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(event) + "\n")


def notify(queue_name, body):
    connection = pika.BlockingConnection(pika.ConnectionParameters("rabbit"))
    channel = connection.channel()
    channel.basic_publish(exchange="", routing_key=queue_name, body=body)  # expect: reliability.dependency-no-fallback
    connection.close()


def sign_up(user):
    send_welcome_email.delay(user["id"])  # expect: reliability.dependency-no-fallback
    return user
