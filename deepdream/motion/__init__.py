"""Motion: infinite zoom loops and flow-stabilised video dreams, frames on disk and resume."""

from .frames import FrameStore, default_frames_dir, frame_name, frame_seed, movie_frames
from .movie import MOVIE_FORMATS, check_movie_path, read_frames, write_movie
from .progress import FrameProgress, frames_progress
from .segments import video_segments
from .video import VIDEO_EXTRA, decode, need_video_extra, probe, video_frames
from .zoom import motion_matrix, move, zoom_frames

__all__ = [
    "zoom_frames",
    "video_frames",
    "video_segments",
    "movie_frames",
    "write_movie",
    "read_frames",
    "probe",
    "decode",
    "motion_matrix",
    "move",
    "FrameStore",
    "FrameProgress",
    "frames_progress",
    "frame_name",
    "frame_seed",
    "default_frames_dir",
    "check_movie_path",
    "need_video_extra",
    "MOVIE_FORMATS",
    "VIDEO_EXTRA",
]
