#pragma once

// Names the calling OS thread (Linux allows 15 characters; longer names are cut). Foundation's Thread.name does
// not always reach the OS thread, and named threads make `top -H` and debuggers readable.
// ChorusUpstream has its own copy in CCurlShims: a shared target would put both libraries' headers on both sides.
void chorus_media_set_thread_name(const char *name);
