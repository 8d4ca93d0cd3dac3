"""Writing the movie: MP4 (H.264, yuv420p), WebM (VP9) or GIF by the output's extension, from
frames given one at a time, atomically (a temp file renamed into place at the end), with the audio
of a source clip remuxed (or re-encoded where the container cannot hold its codec)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import numpy as np

#: Movie extension -> (container format, video codec, audio codecs it holds as they are, audio codec to encode).
MOVIE_FORMATS = {
    ".mp4": ("mp4", "libx264", {"aac", "mp3", "opus", "alac", "flac"}, "aac"),
    ".mov": ("mov", "libx264", {"aac", "mp3", "alac", "pcm_s16le", "pcm_s24le"}, "aac"),
    ".webm": ("webm", "libvpx-vp9", {"opus", "vorbis"}, "libopus"),
    ".gif": ("gif", None, set(), None),
}


def check_movie_path(output, inputs=(), overwrite: bool = False) -> Path:
    """Check, before any work, that the movie can be written (extension, folder, not an input,
    not existing without overwrite); OutputError otherwise."""
    from ..errors import OutputError

    out = Path(output)
    if out.suffix.lower() not in MOVIE_FORMATS:
        what = f"extension '{out.suffix}'" if out.suffix else "no extension"
        raise OutputError(f"Output movie '{out}' has {what}; use one of {', '.join(MOVIE_FORMATS)}.")
    if out.is_dir():
        raise OutputError(f"Output path '{out}' is a folder; give a file name such as '{out / 'dream.mp4'}'.")
    if not out.parent.is_dir():
        raise OutputError(f"Output folder '{out.parent}' does not exist; create it first.")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"Output folder '{out.parent}' is not writable; choose another folder or fix its permissions."
        )
    for inp in inputs:
        if out.resolve() == Path(inp).resolve():
            raise OutputError(f"Output file '{out}' would overwrite the input '{inp}'; choose another output name.")
    if out.exists() and not overwrite:
        raise OutputError(f"Output file '{out}' already exists; pass --overwrite to replace it.")
    return out


def frame_rate(fps) -> Fraction:
    """A frame rate as an exact fraction (24000/1001 stays so)."""
    return fps if isinstance(fps, Fraction) else Fraction(fps).limit_denominator(1001)


def read_frames(paths: Iterable) -> Iterable[np.ndarray]:
    """PNG paths -> uint8 RGB arrays, one at a time."""
    from PIL import Image

    for path in paths:
        with Image.open(path) as img:
            yield np.asarray(img.convert("RGB"))


def write_movie(
    frames: Iterable[np.ndarray],
    output,
    fps,
    *,
    audio=None,
    start: float | None = None,
    end: float | None = None,
    overwrite: bool = False,
) -> Path:
    """Write frames (uint8 RGB arrays, all one size) as a movie at `fps` (a number or Fraction),
    atomically. audio: a clip whose first audio stream, cut to [start, end) seconds, goes along
    (MP4 and WebM)."""
    output = check_movie_path(output, overwrite=overwrite)
    fmt = MOVIE_FORMATS[output.suffix.lower()]
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix="." + output.name + ".", suffix=output.suffix)
    os.close(fd)
    try:
        if fmt[0] == "gif":
            _write_gif(frames, tmp, frame_rate(fps))
        else:
            _write_av(frames, tmp, fmt, frame_rate(fps), audio, start, end)
        from ..saving import umask

        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, output)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return output


def _write_gif(frames, path, rate: Fraction) -> None:
    """A looping GIF (Pillow: adaptive palette per frame). GIF times are in 1/100 s."""
    from PIL import Image

    pictures = [Image.fromarray(np.asarray(f, np.uint8)) for f in frames]
    if not pictures:
        raise ValueError("no frames")
    duration = max(20, round(1000 / float(rate) / 10) * 10)
    pictures[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=pictures[1:],
        duration=duration,
        loop=0,
        optimize=False,
        disposal=1,
    )


def _write_av(frames, path, fmt, rate: Fraction, audio, start, end) -> None:
    import av

    container_format, codec, keep_audio, audio_codec = fmt
    with av.open(str(path), "w", format=container_format) as out:
        video = None
        sound = _AudioCopy(out, audio, start, end, keep_audio, audio_codec) if audio is not None else None
        try:
            for index, rgb in enumerate(frames):
                rgb = np.asarray(rgb, np.uint8)
                height, width = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2  # yuv420p needs even sides
                if video is None:
                    video = out.add_stream(codec, rate=rate)
                    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
                    video.time_base = 1 / rate
                    video.options = (
                        {"crf": "18", "preset": "medium"}
                        if codec == "libx264"
                        else {"crf": "30", "b": "0", "row-mt": "1", "deadline": "good", "cpu-used": "4"}
                    )
                    if sound is not None:
                        sound.add_stream()
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:height, :width]), format="rgb24")
                frame.pts = index
                out.mux(video.encode(frame))
                if sound is not None:
                    sound.mux_until(float((index + 1) / rate))
            if video is None:
                raise ValueError("no frames")
            out.mux(video.encode(None))
            if sound is not None:
                sound.mux_until(None)
        finally:
            if sound is not None:
                sound.close()


class _AudioCopy:
    """The first audio stream of a clip, cut to [start, end), muxed into `out` as it is when the
    container holds its codec, else decoded and re-encoded."""

    def __init__(self, out, source, start, end, keep, encode_codec):
        import av

        self.out, self.start, self.end = out, start or 0.0, end
        self.source = av.open(str(source))
        self.input = self.source.streams.audio[0] if self.source.streams.audio else None
        self.copy = self.input is not None and self.input.codec_context.name in keep
        self.encode_codec = encode_codec
        self.stream = None
        self.packets = None
        self.pending = None

    def add_stream(self) -> None:
        if self.input is None:
            return
        if self.copy:
            self.stream = self.out.add_stream_from_template(self.input)
        else:
            rate = self.input.codec_context.sample_rate or 48000
            if self.encode_codec == "libopus" and rate not in (8000, 12000, 16000, 24000, 48000):
                rate = 48000
            self.stream = self.out.add_stream(self.encode_codec, rate=rate)
            self.stream.layout = self.input.codec_context.layout.name if self.input.codec_context.layout else "stereo"
            import av.audio.resampler

            fmt = self.stream.codec_context.codec.audio_formats[0].name
            self.resampler = av.audio.resampler.AudioResampler(format=fmt, layout=self.stream.layout, rate=rate)
        if self.start:
            self.source.seek(int(self.start / self.input.time_base) + (self.input.start_time or 0), stream=self.input)
        self.packets = self._packets()

    def _packets(self):
        """(time in the output, packets to mux) in order."""
        tb = self.input.time_base
        t0 = float((self.input.start_time or 0) * tb)
        for packet in self.source.demux(self.input):
            if packet.pts is None:
                continue
            t = float(packet.pts * tb) - t0
            if t < self.start - 1e-6:
                continue
            if self.end is not None and t >= self.end:
                break
            if self.copy:
                shift = int(round((self.start + t0) / tb))
                packet.pts -= shift
                if packet.dts is not None:
                    packet.dts -= shift
                packet.stream = self.stream
                yield t - self.start, [packet]
            else:
                out = []
                for frame in packet.decode():
                    for resampled in self.resampler.resample(frame):
                        resampled.pts = None
                        out.extend(self.stream.encode(resampled))
                yield t - self.start, out
        if not self.copy:
            out = []
            for resampled in self.resampler.resample(None):
                resampled.pts = None
                out.extend(self.stream.encode(resampled))
            yield float("inf"), out + list(self.stream.encode(None))

    def mux_until(self, seconds: float | None) -> None:
        """Mux the audio up to `seconds` into the movie (None: all that is left)."""
        if self.packets is None:
            return
        while True:
            if self.pending is None:
                self.pending = next(self.packets, None)
                if self.pending is None:
                    self.packets = None
                    return
            t, packets = self.pending
            if seconds is not None and t > seconds:
                return
            self.out.mux(packets)
            self.pending = None

    def close(self) -> None:
        self.source.close()
