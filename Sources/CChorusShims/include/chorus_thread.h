#pragma once

// Names the calling OS thread (Linux allows 15 characters; longer names are cut). Foundation's Thread.name does
// not always reach the OS thread, and named threads make `top -H` and debuggers readable.
void chorus_set_current_thread_name(const char *name);
