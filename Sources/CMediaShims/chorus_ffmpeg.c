#define _GNU_SOURCE
#include "chorus_ffmpeg.h"
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <errno.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <pthread.h>

int chorus_averror(int posix_error) { return AVERROR(posix_error); }
int chorus_averror_eof(void) { return AVERROR_EOF; }
int chorus_averror_exit(void) { return AVERROR_EXIT; }
int chorus_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
int chorus_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }

void chorus_av_err2str(int errnum, char *buffer, size_t size) {
    if (buffer == NULL || size == 0) return;
    if (av_strerror(errnum, buffer, size) < 0) snprintf(buffer, size, "error %d", errnum);
}

int64_t chorus_av_nopts_value(void) { return AV_NOPTS_VALUE; }

AVChannelLayout chorus_channel_layout_mono(void) {
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    return mono;
}

AVIOContext *chorus_avio_alloc_context(unsigned char *buffer, int buffer_size, int write_flag, void *opaque,
                                       chorus_avio_read_fn read, chorus_avio_write_fn write,
                                       chorus_avio_seek_fn seek) {
#if LIBAVFORMAT_VERSION_MAJOR >= 61
    return avio_alloc_context(buffer, buffer_size, write_flag, opaque, read, write, seek);
#else
    return avio_alloc_context(buffer, buffer_size, write_flag, opaque, read,
                              (int (*)(void *, uint8_t *, int))write, seek);
#endif
}

void chorus_avio_context_free(AVIOContext **context) {
    if (context == NULL || *context == NULL) return;
    av_freep(&(*context)->buffer);
    avio_context_free(context);
}

static int chorus_deny_io_open(struct AVFormatContext *s, AVIOContext **pb, const char *url,
                               int flags, AVDictionary **options) {
    (void)s; (void)pb; (void)url; (void)flags; (void)options;
    return AVERROR(EPERM);
}

static int chorus_interrupt(void *opaque) {
    const volatile int *flag = opaque;
    return flag != NULL && *flag != 0;
}

void chorus_avformat_harden(AVFormatContext *context, const volatile int *abort_flag) {
    if (context == NULL) return;
    context->io_open = chorus_deny_io_open;
    context->interrupt_callback.callback = chorus_interrupt;
    context->interrupt_callback.opaque = (void *)abort_flag;
}

static _Atomic(chorus_av_log_sink) chorus_log_sink = NULL;
static _Thread_local char chorus_log_line[2048];
static _Thread_local size_t chorus_log_length = 0;
static _Thread_local char chorus_log_component[64];

static void chorus_av_log_callback(void *avcl, int level, const char *fmt, va_list vl) {
    chorus_av_log_sink sink = atomic_load(&chorus_log_sink);
    if (sink == NULL || level > av_log_get_level()) return;
    if (chorus_log_length == 0) {
        // A new line: remember which component (demuxer, codec…) it comes from.
        const char *name = NULL;
        if (avcl != NULL) {
            const AVClass *cls = *(const AVClass **)avcl;
            if (cls != NULL && cls->item_name != NULL) name = cls->item_name(avcl);
        }
        if (name == NULL || strcmp(name, "NULL") == 0) name = "";
        snprintf(chorus_log_component, sizeof(chorus_log_component), "%s", name);
    }
    size_t room = sizeof(chorus_log_line) - chorus_log_length;
    if (room > 1) {
        int written = vsnprintf(chorus_log_line + chorus_log_length, room, fmt, vl);
        if (written > 0) chorus_log_length += (size_t)written < room ? (size_t)written : room - 1;
    }
    int complete = chorus_log_length > 0 && chorus_log_line[chorus_log_length - 1] == '\n';
    if (!complete && chorus_log_length < sizeof(chorus_log_line) - 1) return;
    while (chorus_log_length > 0 && (chorus_log_line[chorus_log_length - 1] == '\n' || chorus_log_line[chorus_log_length - 1] == '\r'))
        chorus_log_line[--chorus_log_length] = 0;
    if (chorus_log_length > 0) sink(level, chorus_log_component, chorus_log_line);
    chorus_log_length = 0;
    chorus_log_line[0] = 0;
}

void chorus_av_log_install(chorus_av_log_sink sink, int max_level) {
    atomic_store(&chorus_log_sink, sink);
    av_log_set_level(max_level);
    av_log_set_callback(sink == NULL ? av_log_default_callback : chorus_av_log_callback);
}

