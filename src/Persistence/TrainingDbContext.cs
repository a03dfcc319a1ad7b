using Microsoft.EntityFrameworkCore;
using Training.V1;
using TrainingService.Persistence.Entities;

namespace TrainingService.Persistence;

public sealed class TrainingDbContext(DbContextOptions<TrainingDbContext> options) : DbContext(options)
{
    public DbSet<JobRecord> Jobs => Set<JobRecord>();

    public DbSet<RunRecord> Runs => Set<RunRecord>();

    public DbSet<StepMetricRecord> StepMetrics => Set<StepMetricRecord>();

    public DbSet<EpochMetricRecord> EpochMetrics => Set<EpochMetricRecord>();

    public DbSet<JobEventRecord> JobEvents => Set<JobEventRecord>();

    public DbSet<ModelRecord> Models => Set<ModelRecord>();

    public DbSet<CheckpointRecord> Checkpoints => Set<CheckpointRecord>();

    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<JobRecord>(job =>
        {
            job.HasKey(j => j.Id);
            job.Property(j => j.SpecJson).HasColumnType("jsonb");
            job.Property(j => j.LatestMetricsJson).HasColumnType("jsonb");
            job.Property(j => j.ResultJson).HasColumnType("jsonb");
            job.Property(j => j.State).HasConversion<string>().HasMaxLength(32);
            job.Property(j => j.Name).HasMaxLength(200);
            job.HasIndex(j => new { j.CreatedAt, j.Id });
            job.HasIndex(j => new { j.State, j.CreatedAt });
            job.HasIndex(j => new { j.OwnerKeyId, j.CreatedAt });
            job.Property(j => j.RequestId).HasMaxLength(128);

            // NULLS NOT DISTINCT makes request ids unique among jobs without an owner too (PostgreSQL 15+).
            job.HasIndex(j => new { j.OwnerKeyId, j.RequestId }).IsUnique().AreNullsDistinct(false).HasFilter("request_id IS NOT NULL");
        });

        modelBuilder.Entity<ApiKeyRecord>(key =>
        {
            key.HasKey(k => k.Id);
            key.Property(k => k.Name).HasMaxLength(100);
            key.Property(k => k.Prefix).HasMaxLength(16);
            key.Property(k => k.Hash).HasMaxLength(64);
            key.HasIndex(k => k.Hash).IsUnique();
        });

        modelBuilder.Entity<RunRecord>(run =>
        {
            run.HasKey(r => new { r.JobId, r.Attempt });
            run.HasOne<JobRecord>().WithMany().HasForeignKey(r => r.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<StepMetricRecord>(step =>
        {
            step.HasKey(s => new { s.JobId, s.Step });
            step.HasOne<JobRecord>().WithMany().HasForeignKey(s => s.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<EpochMetricRecord>(epoch =>
        {
            epoch.HasKey(e => new { e.JobId, e.Epoch });
            epoch.HasOne<JobRecord>().WithMany().HasForeignKey(e => e.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<JobEventRecord>(jobEvent =>
        {
            jobEvent.HasKey(e => new { e.JobId, e.Sequence });
            jobEvent.Property(e => e.PayloadJson).HasColumnType("jsonb");
            jobEvent.Property(e => e.Kind).HasMaxLength(32);
            jobEvent.HasOne<JobRecord>().WithMany().HasForeignKey(e => e.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<CheckpointRecord>(checkpoint =>
        {
            checkpoint.HasKey(c => c.JobId);
            checkpoint.HasOne<JobRecord>().WithOne().HasForeignKey<CheckpointRecord>(c => c.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ModelRecord>(model =>
        {
            model.HasKey(m => m.JobId);
            model.Property(m => m.SpecJson).HasColumnType("jsonb");
            model.Property(m => m.PreprocessingJson).HasColumnType("jsonb");
            model.Property(m => m.Format).HasMaxLength(64);
            model.HasOne<JobRecord>().WithOne().HasForeignKey<ModelRecord>(m => m.JobId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
