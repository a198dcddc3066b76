-- Low-balance alert state per treasury wallet and asset, so balance.low fires once per crossing.

-- CreateTable
CREATE TABLE "balance_alerts" (
    "network" TEXT NOT NULL,
    "wallet" TEXT NOT NULL,
    "asset" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "threshold" DECIMAL(78,0),
    "available" DECIMAL(78,0) NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "balance_alerts_pkey" PRIMARY KEY ("network","wallet","asset")
);
