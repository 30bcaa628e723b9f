from concurrent.futures import ThreadPoolExecutor

from storage.raw_codec import compress, decompress


def test_round_trip_and_older_codecs() -> None:
    import zlib

    raw = b"Subject: hi\r\n\r\n" + b"body " * 1000
    codec, data = compress(raw)
    assert codec == "zstd" and len(data) < len(raw) and decompress(codec, data) == raw
    assert decompress("zlib", zlib.compress(raw)) == raw
    assert decompress("none", raw) == raw


def test_many_threads_at_once() -> None:
    # Shared zstd contexts crash the process when used from two threads; each thread
    # must get its own.
    payloads = [bytes([i % 251]) * (50_000 + i) for i in range(200)]

    def round_trip(raw: bytes) -> bool:
        return decompress(*compress(raw)) == raw

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(round_trip, payloads))
