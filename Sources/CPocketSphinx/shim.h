#pragma once
// pkg-config pocketsphinx (which requires sphinxbase) adds /usr/include/pocketsphinx and
// /usr/include/x86_64-linux-gnu{,/sphinxbase}; pocketsphinx.h includes <sphinxbase/...> and bare <ps_*.h>.
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/fe.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/cmn.h>
