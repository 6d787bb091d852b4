#pragma once
#include <stdint.h>
#include <stddef.h>
#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/channel_layout.h>

// AVERROR(), AVERROR_EOF, AVERROR_EXIT, AVERROR_INVALIDDATA, AVERROR_DECODER_NOT_FOUND are macros Swift cannot import.
int chorus_averror(int posix_error);
int chorus_averror_eof(void);
int chorus_averror_exit(void);
int chorus_averror_invaliddata(void);
int chorus_averror_decoder_not_found(void);

/// av_err2str() is a macro around a compound literal; this writes the same text into `buffer`.
void chorus_av_err2str(int errnum, char *buffer, size_t size);

/// AV_NOPTS_VALUE is a cast expression Swift does not import.
int64_t chorus_av_nopts_value(void);

/// AV_CHANNEL_LAYOUT_MONO is a compound literal.
AVChannelLayout chorus_channel_layout_mono(void);

/// AVIO callbacks with one signature for every FFmpeg version: the write callback's buffer became
/// `const` in libavformat 61 (FFmpeg 7); the cast to the version's own type happens in the .c file.
typedef int (*chorus_avio_read_fn)(void *opaque, uint8_t *buffer, int size);
typedef int (*chorus_avio_write_fn)(void *opaque, const uint8_t *buffer, int size);
typedef int64_t (*chorus_avio_seek_fn)(void *opaque, int64_t offset, int whence);

AVIOContext *chorus_avio_alloc_context(unsigned char *buffer, int buffer_size, int write_flag, void *opaque,
                                       chorus_avio_read_fn read, chorus_avio_write_fn write,
                                       chorus_avio_seek_fn seek);

/// Frees an AVIOContext made by chorus_avio_alloc_context together with its (possibly reallocated) buffer.
void chorus_avio_context_free(AVIOContext **context);

/// Makes a demuxer unable to open any other resource (playlists such as hls or concat would
/// otherwise try to open files or URLs named inside the input) and installs an interrupt
/// callback that aborts blocking I/O once `*abort_flag` is non-zero.
void chorus_avformat_harden(AVFormatContext *context, const volatile int *abort_flag);

/// Routes av_log to `sink`, one complete line at a time without the trailing newline (FFmpeg sends
/// lines in pieces; pieces are collected per thread), with the name of the component that logged it
/// ("mp3", "mov,mp4,m4a,3gp,3g2,mj2", "SWR"…, or ""). Messages above `max_level` (an AV_LOG_*
/// value) are dropped before formatting. A NULL sink restores FFmpeg's default (stderr).
typedef void (*chorus_av_log_sink)(int level, const char *component, const char *line);
void chorus_av_log_install(chorus_av_log_sink sink, int max_level);

