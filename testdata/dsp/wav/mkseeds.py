#!/usr/bin/env python3
"""Writes the FuzzReader seed files in this directory (run from here).

Small crafted RIFF/WAVE files covering every encoding and the header edge
cases NewReader handles or rejects, plus the headers (and 64 data bytes) of
the go-audio container fixtures in ../../corpus/wav-fixtures/.
"""
import glob, math, os, struct

def chunk(cid, body, size=None):
    sz = len(body) if size is None else size
    out = cid + struct.pack('<I', sz) + body
    if len(body) % 2:
        out += b'\0'
    return out

def riff(*chunks, size=None):
    body = b'WAVE' + b''.join(chunks)
    return b'RIFF' + struct.pack('<I', len(body) if size is None else size) + body

def fmt(tag, ch, rate, bits, extra=b''):
    ba = ch * bits // 8
    return chunk(b'fmt ', struct.pack('<HHIIHH', tag, ch, rate, rate * ba, ba, bits) + extra)

GUID_SUFFIX = bytes([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])

def fmtext(sub, ch, rate, bits, valid):
    ba = ch * bits // 8
    return chunk(b'fmt ', struct.pack('<HHIIHHHHI', 0xFFFE, ch, rate, rate * ba, ba, bits, 22, valid, 3)
                 + struct.pack('<H', sub) + GUID_SUFFIX)

pcm16 = b''.join(struct.pack('<h', int(12000 * math.sin(i / 3))) for i in range(48))
seeds = {
    'pcm16_mono.wav': riff(fmt(1, 1, 8000, 16), chunk(b'data', pcm16)),
    'pcm16_4ch.wav': riff(fmt(1, 4, 16000, 16), chunk(b'data', pcm16)),
    'pcm8_odd.wav': riff(fmt(1, 1, 8000, 8), chunk(b'data', bytes(range(100, 121))),
                         chunk(b'LIST', b'INFOISFT\x03\x00\x00\x00ab\x00')),
    'pcm24_stereo.wav': riff(fmt(1, 2, 44100, 24), chunk(b'data', bytes(range(60)))),
    'pcm32.wav': riff(fmt(1, 1, 48000, 32), chunk(b'data', bytes(range(0, 256, 4)))),
    'float32.wav': riff(fmt(3, 1, 16000, 32, b'\0\0'), chunk(b'fact', struct.pack('<I', 4)),
                        chunk(b'data', struct.pack('<4f', 0.5, -1.5, float('nan'), 1.0))),
    'float64.wav': riff(fmt(3, 2, 48000, 64), chunk(b'data', struct.pack('<4d', 0.25, -0.25, float('inf'), -1.0))),
    'mulaw.wav': riff(fmt(7, 1, 8000, 8, b'\0\0'), chunk(b'fact', struct.pack('<I', 32)),
                      chunk(b'data', bytes(range(0, 256, 8)))),
    'alaw.wav': riff(fmt(6, 2, 8000, 8, b'\0\0'), chunk(b'data', bytes(range(0, 256, 8)))),
    'ext_pcm16_8ch.wav': riff(fmtext(1, 8, 48000, 16, 16), chunk(b'data', pcm16)),
    'ext_float.wav': riff(fmtext(3, 1, 16000, 32, 32), chunk(b'data', struct.pack('<3f', 0.1, 0.2, -0.3))),
    'ext_mulaw.wav': riff(fmtext(7, 1, 8000, 8, 8), chunk(b'data', bytes(range(16)))),
    'ext_bad_guid.wav': riff(fmtext(1, 1, 8000, 16, 16)[:-1] + b'\x00', chunk(b'data', pcm16[:8])),
    'bext_before_fmt.wav': riff(chunk(b'bext', bytes(40)), fmt(1, 1, 22050, 16), chunk(b'data', pcm16)),
    'odd_chunk_before_data.wav': riff(fmt(1, 2, 16000, 16), chunk(b'inst', bytes(7)), chunk(b'JUNK', bytes(3)),
                                      chunk(b'data', pcm16)),
    'unfinalized_0.wav': riff(fmt(1, 1, 16000, 16), chunk(b'data', pcm16[:33], size=0), size=0),
    'unfinalized_ffffffff.wav': riff(fmt(1, 2, 16000, 16), chunk(b'data', pcm16, size=0xFFFFFFFF), size=0xFFFFFFFF),
    'truncated_data.wav': riff(fmt(1, 2, 16000, 16), chunk(b'data', pcm16, size=100000)),
    'huge_junk.wav': riff(fmt(1, 1, 8000, 16), chunk(b'JUNK', bytes(8), size=0xFFFFFFF0)),
    'huge_fmt.wav': riff(chunk(b'fmt ', bytes(16), size=0x7FFFFFFF)),
    'channels_65535.wav': riff(chunk(b'fmt ', struct.pack('<HHIIHH', 1, 65535, 8000, 0, 0xFFFE, 16)),
                               chunk(b'data', pcm16)),
    'block_align_lie.wav': riff(chunk(b'fmt ', struct.pack('<HHIIHH', 1, 2, 8000, 32000, 1, 16)), chunk(b'data', pcm16)),
    'data_before_fmt.wav': riff(chunk(b'data', pcm16), fmt(1, 1, 8000, 16)),
    'rf64.wav': b'RF64' + b'\xff\xff\xff\xff' + b'WAVEds64' + struct.pack('<I', 28) + bytes(28),
    'riff_size_off_by_one.wav': riff(fmt(1, 1, 44100, 24), chunk(b'data', bytes(21)), size=4 + 24 + 8 + 21 - 1),
}
for name, data in seeds.items():
    with open(name, 'wb') as f:
        f.write(data)
for p in sorted(glob.glob('../../corpus/wav-fixtures/*.wav')):
    b = open(p, 'rb').read()
    off = 12
    while off + 8 <= len(b):
        cid, sz = b[off:off + 4], struct.unpack('<I', b[off + 4:off + 8])[0]
        if cid == b'data':
            with open('fixture_' + os.path.basename(p), 'wb') as f:
                f.write(b[:off + 8 + 64])
            break
        off += 8 + sz + (sz & 1)
